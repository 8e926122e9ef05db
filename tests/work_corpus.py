"""Derivations for dfdx.check_work: (function, lines, first wrong line or
None, the slip expected there or None where any may be named).

Each line is what a learner writes at that stage; open derivatives are
written d/dx(u), (u)' or \\frac{d}{dx}(u). The first wrong line is set by
hand and checked against SymPy in the test (each line minus sympy.diff)."""

P = "d/dx(x^2) sin(x) + x^2 d/dx(sin(x))"

WRONG = [
    # rule slips on an open derivative of the line before
    ("x^2 sin(x)", [P, "2x sin(x) - x^2 cos(x)"], 2, "trig_sign"),
    ("x^2 sin(x)", [P, "2x sin(x)"], 2, "product_missing_term"),
    ("x^2 sin(x)", [P, "x sin(x) + x^2 cos(x)"], 2, "power_no_coefficient"),
    ("x^2 sin(x)", [P, "2x^2 sin(x) + x^2 cos(x)"], 2, "power_not_lowered"),
    ("sin(x^2)", ["cos(x^2) (x^2)'", "cos(x^2)"], 2, "chain_inner"),
    ("sin(x^2)", ["cos(x^2) (x^2)'", "x cos(x^2)"], 2, "power_no_coefficient"),
    ("cos(3x)", ["-sin(3x) d/dx(3x)", "-sin(3x)"], 2, "chain_inner"),
    ("e^(x^2)", ["e^(x^2) d/dx(x^2)", "e^(x^2)"], 2, "chain_inner"),
    ("e^(x^2)", ["e^(x^2) d/dx(x^2)", "2x^3 e^(x^2)"], 2, None),
    ("ln(x^2+1)", ["d/dx(x^2+1)/(x^2+1)", "1/(x^2+1)"], 2, "chain_inner"),
    ("ln(x^2+1)", ["d/dx(x^2+1)/(x^2+1)", "2x^2/(x^2+1)"], 2, None),
    ("x e^x", [r"\frac{d}{dx}(x) e^x + x \frac{d}{dx}(e^x)", "e^x"], 2, None),
    (
        "x cos(x)",
        ["d/dx(x) cos(x) + x d/dx(cos(x))", "cos(x) + x sin(x)"],
        2,
        "trig_sign",
    ),
    (
        "x tan(x)",
        ["(x)' tan(x) + x (tan(x))'", "tan(x) + x sec(x) tan(x)"],
        2,
        "trig_swapped",
    ),
    (
        "x^3 cos(x)",
        ["3x^2 cos(x) + x^3 d/dx(cos(x))", "3x^2 cos(x) + x^3 sin(x)"],
        2,
        "trig_sign",
    ),
    (
        "x^3 cos(x)",
        ["d/dx(x^3) cos(x) + x^3 d/dx(cos(x))", "3x^3 cos(x) - x^3 sin(x)"],
        2,
        "power_not_lowered",
    ),
    (
        "sqrt(x) ln(x)",
        ["d/dx(sqrt(x)) ln(x) + sqrt(x) d/dx(ln(x))", "ln(x)/sqrt(x) + 1/sqrt(x)"],
        2,
        "power_no_coefficient",
    ),
    ("2^x x", ["d/dx(2^x) x + 2^x", "2^x x + 2^x"], 2, "exponential_missing_log"),
    ("sin(x)^2", ["2 sin(x) d/dx(sin(x))", "2 sin(x)"], 2, "chain_inner"),
    ("1/x + x", ["d/dx(1/x) + 1", "1/x^2 + 1"], 2, None),
    # slips at the first line (against d/dx f, as check_answer names them)
    ("x^2 sin(x)", ["2x cos(x)"], 1, "product_as_derivatives"),
    ("sin(x^2)", ["cos(x^2)", "cos(x^2) 2x"], 1, "chain_inner"),
    ("x^3", ["3x^3"], 1, "power_not_lowered"),
    ("x^3 - 1/x", ["3x^2 - 1/x^2", "3x^2 - x^(-2)"], 1, None),
    ("cos(x)", ["sin(x)"], 1, None),
    ("sin(x)/x", ["(x cos(x) + sin(x))/x^2"], 1, "quotient_plus"),
    ("sin(x)/x", ["(sin(x) - x cos(x))/x^2"], 1, "quotient_swapped"),
    ("sin(x)/x", ["(x cos(x) - sin(x))/x"], 1, "quotient_no_square"),
    ("ln(2x)", ["1/(2x)"], 1, None),
    ("e^(3x)", ["e^(3x)"], 1, "chain_inner"),
    ("2^x", ["x·2^(x-1)"], 1, "power_rule_on_exponential"),
    ("x^x", ["x x^(x-1)"], 1, None),
    ("tan(x)", ["sec(x) tan(x)"], 1, "trig_swapped"),
    ("5", ["5"], 1, None),
    # algebra slips between two lines
    ("x^3 - 2x", ["3x^2 - 2", "3x^2"], 2, "algebra_dropped_term"),
    ("x^3 - 2x", ["3x^2 - 2", "3x^2 + 2"], 2, "algebra_sign_term"),
    ("x^3 - 2x", ["3x^2 - 2", "6x^2 - 4"], 2, "algebra_factor"),
    ("x^3 - 2x", ["3x^2 - 2", "2 - 3x^2"], 2, "algebra_sign"),
    (
        "(x+1)^3",
        ["3(x+1)^2 d/dx(x+1)", "3(x+1)^2", "3x^2 + 6x + 3", "3x^2 + 6x - 3"],
        4,
        "algebra_sign_term",
    ),
    ("(x+1)^3", ["3(x+1)^2", "3x^2 + 3x + 3"], 2, None),
    ("(x+1)^3", ["3(x+1)^2", "3(x^2 + 1)"], 2, None),
    ("(x+1)^3", ["3(x+1)^2", "3x^2 + 6x + 3", "x^2 + 2x + 1"], 3, "algebra_factor"),
    ("x^2 sin(x)", [P, "2x sin(x) + x^2 cos(x)", "x(2 sin(x) + cos(x))"], 3, None),
    (
        "x^2 sin(x)",
        [P, "2x sin(x) + x^2 cos(x)", "2x sin(x)"],
        3,
        "algebra_dropped_term",
    ),
    (
        "x^2 sin(x)",
        [P, "2x sin(x) + x^2 cos(x)", "2x sin(x) - x^2 cos(x)"],
        3,
        "algebra_sign_term",
    ),
    (
        "x^2 sin(x)",
        [P, "2x sin(x) + x^2 cos(x)", "4x sin(x) + x^2 cos(x)"],
        3,
        "algebra_doubled_term",
    ),
    (
        "x^2 sin(x)",
        [P, "2x sin(x) + x^2 cos(x)", "6x sin(x) + x^2 cos(x)"],
        3,
        "algebra_factor_term",
    ),
    ("x^2 - 3x + 1", ["2x - 3", "2x + 3"], 2, "algebra_sign_term"),
    ("x^4/4 - x", ["x^3 - 1", "x^3"], 2, "algebra_dropped_term"),
    ("(2x+1)^2", ["2(2x+1) d/dx(2x+1)", "4(2x+1)", "8x + 2"], 3, None),
    ("(2x+1)^2", ["2(2x+1) d/dx(2x+1)", "2(2x+1)"], 2, "chain_inner"),
    ("x/(x+1)", ["((x+1) - x)/(x+1)^2", "1/(x+1)^2", "1/(x^2+1)"], 3, None),
    ("x/(x+1)", ["((x+1) + x)/(x+1)^2"], 1, "quotient_plus"),
    (
        "e^x sin(x)",
        ["e^x sin(x) + e^x cos(x)", "e^x (sin(x) - cos(x))"],
        2,
        "algebra_sign_term",
    ),
    ("x ln(x)", ["ln(x) + x (1/x)", "ln(x) + x"], 2, None),
    ("x ln(x)", ["ln(x) + 1", "ln(x)"], 2, "algebra_dropped_term"),
    ("3x^2 + 2x", ["6x + 2", "8x"], 2, None),
    ("sin(2x)", ["cos(2x) d/dx(2x)", "2 cos(2x)", "cos(2x)"], 3, "algebra_factor"),
    # a line wrong in the middle, the last line right again
    ("x^2", ["3x", "2x"], 1, None),
    ("x^3 + x", ["3x^2 + 1", "3x^2 - 1", "3x^2 + 1"], 2, "algebra_sign_term"),
    # several variables: a partial derivative
    ("x^2 y", ["2x y", "2x"], 2, None),
    ("x^2 y + y^3", ["2x y + 3y^2", "2x y"], 1, None),
    # pieces: abs
    ("abs(x)", ["x/abs(x)", "1"], 2, None),
    ("x abs(x)", ["abs(x) + x d/dx(abs(x))", "abs(x) + x"], 2, None),
]

RIGHT = [
    ("x^2 sin(x)", [P, "2x sin(x) + x^2 cos(x)", "x(2 sin(x) + x cos(x))"]),
    ("x^2 sin(x)", ["(x^2)' sin(x) + x^2 (sin(x))'", "2x sin(x) + x^2 cos(x)"]),
    (
        "x^2 sin(x)",
        [
            r"\frac{d}{dx}(x^2) \sin(x) + x^2 \frac{d}{dx}\left(\sin(x)\right)",
            "x^2 cos x + 2x sin x",
        ],
    ),
    ("sin(x^2)", ["cos(x^2) d/dx(x^2)", "2x cos(x^2)"]),
    ("(x+1)^3", ["3(x+1)^2 (x+1)'", "3(x+1)^2", "3x^2 + 6x + 3"]),
    (
        "sin(x)/x",
        [
            "(x d/dx(sin(x)) - sin(x) d/dx(x))/x^2",
            "(x cos(x) - sin(x))/x^2",
            "cos(x)/x - sin(x)/x^2",
        ],
    ),
    ("e^(2x)", ["e^(2x) d/dx(2x)", "2e^(2x)"]),
    ("ln(x^2+1)", ["1/(x^2+1) d/dx(x^2+1)", "2x/(x^2+1)"]),
    ("x^x", ["x^x (ln(x) + 1)", "x^x ln(x) + x^x"]),
    ("sqrt(x)", ["1/(2 sqrt(x))", "x^(-1/2)/2"]),
    ("abs(x)", ["abs(x)/x"]),
    ("x^2 y", ["2x y"]),
    ("tan(x)", ["sec(x)^2", "1 + tan(x)^2"]),
]
