"""Textbook limits with their values and the method a course uses.

Each entry: (expression, point, side, value, method). The value is written
by hand from the textbook (Stewart, Thomas, the chapter's exercises), not
computed by dfdx; `method` is the rule id the explanation must contain
(see dfdx.teaching.limit_methods).
"""

CORPUS = [
    # direct substitution and the limit laws
    ("x^2 + 3x - 1", "2", "both", "9", "substitute"),
    ("(x + 1)/(x - 3)", "1", "both", "-1", "substitute"),
    ("sqrt(x + 5)", "4", "both", "3", "substitute"),
    ("exp(x) cos(x)", "0", "both", "1", "substitute"),
    # 0/0 by cancelling
    ("(x^2 - 1)/(x - 1)", "1", "both", "2", "cancel"),
    ("(x^2 - 4)/(x + 2)", "-2", "both", "-4", "cancel"),
    ("(x^3 - 8)/(x - 2)", "2", "both", "12", "cancel"),
    ("(x^2 - 5x + 6)/(x - 3)", "3", "both", "1", "cancel"),
    ("(x^2 + x - 6)/(x^2 - 4)", "2", "both", "5/4", "cancel"),
    ("((2 + x)^2 - 4)/x", "0", "both", "4", "cancel"),
    ("(x^4 - 1)/(x - 1)", "1", "both", "4", "cancel"),
    ("(1/x - 1/3)/(x - 3)", "3", "both", "-1/9", "cancel"),
    # 0/0 by the conjugate
    ("(sqrt(x + 4) - 2)/x", "0", "both", "1/4", "conjugate"),
    ("(sqrt(x) - 3)/(x - 9)", "9", "both", "1/6", "conjugate"),
    ("x/(sqrt(x + 1) - 1)", "0", "both", "2", "conjugate"),
    ("(sqrt(1 + x) - sqrt(1 - x))/x", "0", "both", "1", "conjugate"),
    # standard limits, constants pulled out
    ("sin(x)/x", "0", "both", "1", "standard"),
    ("sin(3x)/x", "0", "both", "3", "standard"),
    ("sin(5x)/(2x)", "0", "both", "5/2", "standard"),
    ("tan(x)/x", "0", "both", "1", "standard"),
    ("(1 - cos(x))/x^2", "0", "both", "1/2", "standard"),
    ("(exp(x) - 1)/x", "0", "both", "1", "standard"),
    ("(exp(2x) - 1)/x", "0", "both", "2", "standard"),
    ("ln(1 + x)/x", "0", "both", "1", "standard"),
    ("ln(1 + 3x)/x", "0", "both", "3", "standard"),
    ("(2^x - 1)/x", "0", "both", "ln(2)", "standard"),
    ("((1 + x)^5 - 1)/x", "0", "both", "5", "cancel"),
    ("atan(x)/x", "0", "both", "1", "standard"),
    ("asin(2x)/x", "0", "both", "2", "standard"),
    ("x sin(1/x)", "inf", "both", "1", "standard"),
    ("sin(x^2)/x", "0", "both", "0", "standard"),
    ("sinh(x)/x", "0", "both", "1", "standard"),
    # L'Hôpital
    ("(x - sin(x))/x^3", "0", "both", "1/6", "lhopital"),
    ("(exp(x) - 1 - x)/x^2", "0", "both", "1/2", "lhopital"),
    ("ln(x)/(x - 1)", "1", "both", "1", "standard"),
    ("x^2/exp(x)", "inf", "both", "0", "lhopital"),
    ("ln(x)/x", "inf", "both", "0", "lhopital"),
    ("exp(x)/x^3", "inf", "both", "inf", "lhopital"),
    ("(1 - cos(x))/sin(x)", "0", "both", "0", "standard"),
    ("(tan(x) - x)/x^3", "0", "both", "1/3", "lhopital"),
    # leading terms at infinity
    ("(3x^2 + 1)/(2x^2 - x)", "inf", "both", "3/2", "leading"),
    ("(x^3 + 2x)/(4x^3 - 1)", "-inf", "both", "1/4", "leading"),
    ("(2x + 1)/(x^2 + 1)", "inf", "both", "0", "leading"),
    ("(x^3 - x)/(x^2 + 1)", "inf", "both", "inf", "leading"),
    ("(5x - 3)/(2x + 7)", "-inf", "both", "5/2", "leading"),
    ("sqrt(x^2 + 1)/x", "inf", "both", "1", "divide_power"),
    ("(exp(x) + x)/(2exp(x) - 1)", "inf", "both", "1/2", "leading"),
    ("x^3 - 100x^2", "inf", "both", "inf", "dominant"),
    ("x - ln(x)", "inf", "both", "inf", "dominant"),
    # 0·∞
    ("x ln(x)", "0", "+", "0", "zero_times_inf"),
    ("x exp(-x)", "inf", "both", "0", "lhopital"),
    ("x^2 exp(x)", "-inf", "both", "0", "lhopital"),
    ("sqrt(x) ln(x)", "0", "+", "0", "zero_times_inf"),
    ("x cot(x)", "0", "both", "1", "standard"),
    # ∞ - ∞
    ("1/x - 1/sin(x)", "0", "both", "0", "common_denominator"),
    ("1/(x - 1) - 2/(x^2 - 1)", "1", "both", "1/2", "common_denominator"),
    ("sqrt(x^2 + x) - x", "inf", "both", "1/2", "conjugate"),
    ("sqrt(x + 1) - sqrt(x)", "inf", "both", "0", "conjugate"),
    ("1/ln(x) - 1/(x - 1)", "1", "+", "1/2", "common_denominator"),
    # 1^∞, 0^0, ∞^0
    ("(1 + 1/x)^x", "inf", "both", "E", "e_standard"),
    ("(1 + 2/x)^x", "inf", "both", "exp(2)", "e_standard"),
    ("(1 + x)^(1/x)", "0", "both", "E", "e_standard"),
    ("(1 - 1/x)^x", "inf", "both", "exp(-1)", "e_standard"),
    ("(1 + 3x)^(2/x)", "0", "both", "exp(6)", "e_standard"),
    ("x^x", "0", "+", "1", "exp_log"),
    ("x^(1/x)", "inf", "both", "1", "exp_log"),
    ("(cos(x))^(1/x^2)", "0", "both", "exp(-1/2)", "e_standard"),
    # squeeze
    ("x sin(1/x)", "0", "both", "0", "squeeze"),
    ("x^2 cos(1/x)", "0", "both", "0", "squeeze"),
    ("sin(x)/x", "inf", "both", "0", "squeeze"),
    # elementary functions at the ends of their domains; continuity
    ("exp(x)", "-inf", "both", "0", "known"),
    ("exp(-1/x^2)", "0", "both", "0", "known"),
    ("atan(x)", "inf", "both", "pi/2", "known"),
    ("exp(1/x)", "0", "-", "0", "known"),
    ("ln(x)", "inf", "both", "inf", "known"),
    ("1/x^2", "0", "both", "inf", "over_zero"),
    ("1/x", "inf", "both", "0", "over_infinity"),
    ("sin(1/x)", "inf", "both", "0", "continuous_outer"),
    ("exp(sin(x)/x)", "0", "both", "E", "continuous_outer"),
    ("tanh(x)", "-inf", "both", "-1", "known"),
]
