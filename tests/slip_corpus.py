"""(expression, wrong answer, slips) triples: the common mistakes of the
derivative rules as the calculus-teaching literature lists them (the chain
rule's missing inner factor, the quotient rule's sign and square, the power
rule's exponent and coefficient, the log and exponential rules, trig signs
and partners, constants). Each answer is written by hand from its rule; the
slips are every named slip that reproduces it exactly."""

# inner functions u with u′ ≠ 1 (the chain rule has something to forget)
INNER = [
    ("3x", "3"),
    ("x^2 + 1", "2x"),
    ("5x - 2", "5"),
    ("x^3", "3x^2"),
    ("2x + 7", "2"),
]

# outer functions: f(u) and f′(u) (u standing for the inner function)
OUTER = [
    ("sin(U)", "cos(U)"),
    ("exp(U)", "exp(U)"),
    ("cos(U)", "-sin(U)"),
    ("(U)^3", "3(U)^2"),
    ("tan(U)", "sec(U)^2"),
]

CORPUS: list[tuple[str, str, tuple[str, ...]]] = []


def _add(expr, wrong, *slips):
    CORPUS.append((expr, wrong, slips))


for u, du in INNER:
    for f, df in OUTER:
        slips = ["chain_inner"]
        if f == "(U)^3" and du == "3":  # 3(3x)^2: the inner 3 or the power's 3
            slips.append("power_no_coefficient")
        _add(f.replace("U", u), df.replace("U", u), *slips)
    _add(f"ln({u})", f"1/({u})", "log_no_inner")

# pairs f, f′, g, g′ for the product and quotient rules
# (where g′ has a trigonometric sign, the quotient's + is also that sign
# flipped: both are named)
PAIRS = [
    ("x^2", "2x", "sin(x)", "cos(x)"),
    ("x^3", "3x^2", "exp(x)", "exp(x)"),
    ("exp(x)", "exp(x)", "cos(x)", "-sin(x)"),
    ("x", "1", "ln(x)", "1/x"),
    ("x^2 + 1", "2x", "x - 3", "1"),
    ("sin(x)", "cos(x)", "x^2 + 2", "2x"),
]
for f, df, g, dg in PAIRS:
    # f′·g′ is f′·g where g′ = g, and f·g′ where f′ = f
    also = ("product_missing_term",) if g == dg or f == df else ()
    _add(f"({f})*({g})", f"({df})*({dg})", "product_as_derivatives", *also)
    also = ("product_as_derivatives",) if g == dg else ()
    _add(f"({f})*({g})", f"({df})*({g})", "product_missing_term", *also)
    also = ("product_as_derivatives",) if f == df else ()
    _add(f"({f})*({g})", f"({f})*({dg})", "product_missing_term", *also)
    _add(f"({f})/({g})", f"(({f})*({dg}) - ({df})*({g}))/({g})^2", "quotient_swapped")
    also = ("trig_sign",) if g in ("sin(x)", "cos(x)") else ()
    _add(
        f"({f})/({g})", f"(({df})*({g}) + ({f})*({dg}))/({g})^2", "quotient_plus", *also
    )
    _add(f"({f})/({g})", f"(({df})*({g}) - ({f})*({dg}))/({g})", "quotient_no_square")
    _add(f"({f})/({g})", f"({df})/({dg})", "quotient_as_derivatives")

# the quotient rule's sign, as learners write it
_add("(x^2+1)/(x+3)", "(2x(x+3) + (x^2+1))/(x+3)^2", "quotient_plus")
_add("sin(x)/x", "(x cos(x) + sin(x))/x^2", "quotient_plus")

# the power rule on whole, negative and fractional exponents
POWERS = [
    # x^n, n·x^n (not lowered), n·x^(n+1) (raised), x^(n-1) (no n)
    ("x^3", "3x^3", "3x^4", "x^2"),
    ("x^5", "5x^5", "5x^6", "x^4"),
    ("x^(-2)", "-2x^(-2)", "-2x^(-1)", "x^(-3)"),
    ("1/x^3", "-3/x^3", "-3/x^2", "1/x^4"),
    ("sqrt(x)", "sqrt(x)/2", "x^(3/2)/2", "1/sqrt(x)"),
    ("x^(2/3)", "(2/3)x^(2/3)", "(2/3)x^(5/3)", "x^(-1/3)"),
    ("x^(-1/3)", "-(1/3)x^(-1/3)", "-(1/3)x^(2/3)", "x^(-4/3)"),
    ("x^(3/2)", "(3/2)x^(3/2)", "(3/2)x^(5/2)", "sqrt(x)"),
]
for f, not_lowered, raised, no_n in POWERS:
    _add(f, not_lowered, "power_not_lowered")
    _add(f, raised, "power_exponent_raised")
    _add(f, no_n, "power_no_coefficient")

# a dropped minus: negative exponents
_add("x^(-4)", "4x^(-5)", "power_sign_dropped")
# 1/x^2 typed as a quotient is (x^2)^(-1): n = -1, as below
_add("1/x^2", "2/x^3", "power_no_coefficient", "power_sign_dropped")
_add("1/sqrt(x)", "1/(2 x^(3/2))", "power_no_coefficient", "power_sign_dropped")
_add("(2x+1)^(-3)", "6(2x+1)^(-4)", "power_sign_dropped")
# for n = -1, dropping the minus is dropping the factor n: both are named
_add("1/(x-1)", "1/(x-1)^2", "power_no_coefficient", "power_sign_dropped")
_add("1/x", "1/x^2", "power_no_coefficient", "power_sign_dropped")
_add("1/(x^2+1)", "2x/(x^2+1)^2", "power_no_coefficient", "power_sign_dropped")
# the ½ of a square root (in u + 1 the constant differentiated as 1 also fits)
_add("sqrt(x^2+1)", "2x/sqrt(x^2+1)", "power_no_coefficient")
_add("sqrt(3x)", "3/sqrt(3x)", "power_no_coefficient")
_add("sqrt(x+1)", "1/sqrt(x+1)", "power_no_coefficient", "constant_nonzero")

# exponentials
for a in ("2", "3", "10"):
    _add(f"{a}^x", f"x*{a}^(x-1)", "power_rule_on_exponential")
    _add(f"{a}^x", f"{a}^x", "exponential_missing_log")
    _add(f"{a}^(3x)", f"3*{a}^(3x)", "exponential_missing_log")
_add("exp(x)", "x*exp(x-1)", "power_rule_on_exponential")
_add("e^x", "x*e^(x-1)", "power_rule_on_exponential")
_add("x^x", "x*x^(x-1)", "power_rule_on_exponential")
_add("x^x", "x^x*ln(x)", "exponential_rule_on_power")
_add("x^sin(x)", "x^sin(x)*ln(x)*cos(x)", "exponential_rule_on_power")

# logarithms to another base, differentiated as ln
for text in ("log(x, 2)", "log10(x)", "log2(x)"):
    _add(text, "1/x", "log_base_as_ln")
_add("log10(x^2+1)", "2x/(x^2+1)", "log_base_as_ln")
_add("log(3x, 2)", "1/x", "log_base_as_ln")
_add("log2(sin(x))", "cos(x)/sin(x)", "log_base_as_ln")

# trigonometric signs and partners
TRIG = [
    # f, f′ with the sign flipped, f′ of the partner function
    ("sin(x)", "-cos(x)", "-sin(x)"),
    ("cos(x)", "sin(x)", "cos(x)"),
    ("tan(x)", "-sec(x)^2", "sec(x)*tan(x)"),
    ("sec(x)", "-sec(x)*tan(x)", "sec(x)^2"),
    ("cot(x)", "csc(x)^2", "-csc(x)*cot(x)"),
    ("csc(x)", "csc(x)*cot(x)", "-csc(x)^2"),
]
for f, flipped, partner in TRIG:
    _add(f, flipped, "trig_sign")
    _add(f, partner, "trig_swapped")
    _add(f.replace("x", "2x"), "2*" + flipped.replace("x", "2x"), "trig_sign")
    _add(f.replace("x", "2x"), "2*" + partner.replace("x", "2x"), "trig_swapped")

# constants
_add("x^2 + 5", "2x + 5", "constant_nonzero")
_add("3x - 7", "3 - 7", "constant_nonzero")
_add("sin(x) + 2", "cos(x) + 2", "constant_nonzero")
_add("x^3 + pi", "3x^2 + pi", "constant_nonzero")
_add("exp(x) - 4", "exp(x) - 4", "constant_nonzero")

# partial derivatives (with respect to x)
_add("x^2*y", "2x*y + x^2", "partial_not_held")
_add("x*y + y^2", "y + x + 2y", "partial_not_held")
_add("x^2*y^3", "3x^2*y^2", "wrong_variable")
_add("sin(x)*y", "sin(x)", "wrong_variable")

#: wrong answers that are no named slip: naming one would be a wrong diagnosis
NO_SLIP = [
    ("x^2", "2x + 1"),
    ("x^2", "3x"),
    ("sin(x)", "cos(x) + x"),
    ("exp(2x)", "exp(2x)/2"),
    ("ln(x)", "x"),
    ("x^3", "3x^3 - 1"),
    ("(x^2+1)/(x+3)", "2x/(x+3)"),
    ("sqrt(x)", "2 sqrt(x)"),
    ("tan(x)", "cos(x)^2"),
    ("x*sin(x)", "sin(x) + cos(x)"),
]
