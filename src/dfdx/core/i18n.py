"""Every user-facing sentence of the step-by-step explanations, in one table.

Each message id maps to ``{"en": ..., "zh": ...}``; placeholders in braces are
filled by the renderers with formatted mathematics (plain text, LaTeX, HTML or
Markdown), so the two languages always have the same structure. A test checks
that both languages have the same ids and the same placeholders.
"""

from __future__ import annotations

__all__ = [
    "LANGS",
    "RULE_NAMES",
    "MESSAGES",
    "FORMULAS",
    "check_lang",
    "msg",
    "rule_name",
    "localise",
]

#: Languages the explanations are written in.
LANGS = ("en", "zh")

#: Rule id -> localised rule name.
RULE_NAMES: dict[str, dict[str, str]] = {
    "constant": {"en": "Constant rule", "zh": "常数法则"},
    "identity": {"en": "Derivative of the variable", "zh": "自变量的导数"},
    "constant_multiple": {"en": "Constant multiple rule", "zh": "常数倍法则"},
    "sum": {"en": "Sum rule", "zh": "加法法则"},
    "difference": {"en": "Difference rule", "zh": "减法法则"},
    "product": {"en": "Product rule", "zh": "乘法法则"},
    "quotient": {"en": "Quotient rule", "zh": "除法法则"},
    "power": {"en": "Power rule", "zh": "幂法则"},
    "exp": {"en": "Exponential rule", "zh": "指数函数求导"},
    "exponential": {"en": "Exponential rule (base a)", "zh": "指数函数 aˣ 求导"},
    "log": {"en": "Logarithm rule", "zh": "对数函数求导"},
    "log_base": {"en": "Logarithm rule (base b)", "zh": "换底公式"},
    "trig": {"en": "Trigonometric derivative", "zh": "三角函数求导"},
    "inverse_trig": {"en": "Inverse trigonometric derivative", "zh": "反三角函数求导"},
    "hyperbolic": {"en": "Hyperbolic derivative", "zh": "双曲函数求导"},
    "inverse_hyperbolic": {
        "en": "Inverse hyperbolic derivative",
        "zh": "反双曲函数求导",
    },
    "chain": {"en": "Chain rule", "zh": "链式法则"},
    "log_diff": {"en": "Logarithmic differentiation", "zh": "对数求导法"},
    "abs": {"en": "Absolute value", "zh": "绝对值函数求导"},
    "relu": {"en": "ReLU", "zh": "ReLU 求导"},
    "max": {"en": "Maximum / minimum", "zh": "最大值/最小值函数求导"},
    "sigmoid": {"en": "Sigmoid", "zh": "sigmoid 函数求导"},
    "softplus": {"en": "Softplus", "zh": "softplus 函数求导"},
    "logsumexp": {"en": "Log-sum-exp", "zh": "log-sum-exp 求导"},
    "partial": {"en": "Partial derivative", "zh": "偏导数"},
    "rewrite": {"en": "Equivalent form", "zh": "等价变形"},
    "sympy": {"en": "SymPy", "zh": "SymPy 直接求导"},
}

#: Message id -> localised sentence with {placeholders}.
MESSAGES: dict[str, dict[str, str]] = {
    # --- reasons of the rules -------------------------------------------
    "constant": {
        "en": "{f} does not depend on {x}, so it is a constant and its derivative is 0.",
        "zh": "{f} 不含 {x}，是常数，常数的导数为 0。",
    },
    "constant_other": {
        "en": "{f} contains only variables other than {x}, which are held constant, "
        "so its derivative is 0.",
        "zh": "{f} 只含 {x} 以外的变量，它们被看作常数，所以导数为 0。",
    },
    "identity": {
        "en": "The derivative of {x} with respect to itself is 1.",
        "zh": "{x} 对自身求导得 1。",
    },
    "constant_multiple": {
        "en": "A constant factor stays in front: differentiate {f} and multiply by {c}.",
        "zh": "常数因子可以提到导数外面：先对 {f} 求导，再乘以 {c}。",
    },
    "sum": {
        "en": "The derivative of a sum is the sum of the derivatives, so differentiate "
        "the {n} terms one by one.",
        "zh": "和的导数等于导数的和，所以对这 {n} 项逐项求导。",
    },
    "difference": {
        "en": "The derivative of a difference is the difference of the derivatives, "
        "so differentiate the {n} terms one by one.",
        "zh": "差的导数等于导数的差，所以对这 {n} 项逐项求导。",
    },
    "product": {
        "en": "{formula} with f = {f} and g = {g}.",
        "zh": "{formula}，其中 f = {f}，g = {g}。",
    },
    "quotient": {
        "en": "{formula} with f = {f} and g = {g}.",
        "zh": "{formula}，其中 f = {f}，g = {g}。",
    },
    "power_integer": {
        "en": "{formula} with the integer exponent n = {n}.",
        "zh": "{formula}，这里指数 n = {n} 是整数。",
    },
    "power_rational": {
        "en": "{formula} also holds for the rational exponent n = {n}.",
        "zh": "{formula} 对有理数指数 n = {n} 同样成立。",
    },
    "power_real": {
        "en": "{formula} also holds for the real exponent n = {n} (for {x} > 0).",
        "zh": "{formula} 对实数指数 n = {n} 同样成立（{x} > 0 时）。",
    },
    "exp": {
        "en": "The exponential function is its own derivative: {formula}.",
        "zh": "指数函数的导数是它自身：{formula}。",
    },
    "exponential": {
        "en": "For the constant base a = {a}, {formula}.",
        "zh": "底数 a = {a} 是常数，{formula}。",
    },
    "log": {
        "en": "The derivative of the natural logarithm is the reciprocal: {formula}.",
        "zh": "自然对数的导数是倒数：{formula}。",
    },
    "log_base": {
        "en": "By the change of base, log_b(u) = ln(u)/ln(b) with b = {b}, so the "
        "constant {c} stays in front of the derivative of {f}.",
        "zh": "由换底公式 log_b(u) = ln(u)/ln(b)（这里 b = {b}），常数 {c} "
        "提到外面，再对 {f} 求导。",
    },
    "table": {
        "en": "From the table of derivatives: {formula}.",
        "zh": "由基本求导公式：{formula}。",
    },
    "chain": {
        "en": "{f} is a composite function: with the inner function {u} = {inner}, "
        "{formula}, the derivative of the outer function at {u} times the "
        "derivative of {u} with respect to {x}.",
        "zh": "{f} 是复合函数：令内层函数 {u} = {inner}，则 {formula}，"
        "即外层函数对 {u} 的导数乘以 {u} 对 {x} 的导数。",
    },
    "log_diff": {
        "en": "Both the base and the exponent depend on {x}: write y = {f}, take "
        "logarithms, ln y = {g}, and differentiate both sides, y′/y = (ln y)′, "
        "so y′ = y·(ln y)′.",
        "zh": "底数和指数都含 {x}：令 y = {f}，两边取对数得 ln y = {g}，"
        "两边求导得 y′/y = (ln y)′，所以 y′ = y·(ln y)′。",
    },
    "abs": {
        "en": "|{v}| has a corner at {v} = 0 (left derivative −1, right derivative 1) "
        "and is not differentiable there; elsewhere {formula}, and PyTorch uses "
        "the subgradient sign(0) = 0 at 0.",
        "zh": "|{v}| 在 {v} = 0 处有角点（左导数 −1，右导数 1），在那里不可微；"
        "其他地方 {formula}，PyTorch 在 0 处取次梯度 sign(0) = 0。",
    },
    "relu": {
        "en": "relu({v}) = max(0, {v}) has a kink at {v} = 0 (left derivative 0, "
        "right derivative 1) and is not differentiable there; elsewhere {formula}, "
        "and PyTorch uses the subgradient 0 at 0, written Heaviside({v}, 0).",
        "zh": "relu({v}) = max(0, {v}) 在 {v} = 0 处有折点（左导数 0，右导数 1），"
        "在那里不可微；其他地方 {formula}，PyTorch 在 0 处取次梯度 0，"
        "记作 Heaviside({v}, 0)。",
    },
    "max": {
        "en": "{f} follows whichever argument is the {which}, so its derivative is "
        "that argument's derivative; it is not differentiable where the arguments "
        "cross ({where}), and at a tie PyTorch's torch.{torch} gives each argument "
        "half the gradient, the value Heaviside(0) = 1/2 used here (torch.relu "
        "uses 0 instead).",
        "zh": "{f} 取{which}的那个参数，所以它的导数就是那个参数的导数；在参数相交处"
        "（{where}）不可微，两者相等时 PyTorch 的 torch.{torch} 把梯度平分给两个"
        "参数，即这里用的 Heaviside(0) = 1/2（torch.relu 在 0 处取 0）。",
    },
    "max_which": {"en": "largest", "zh": "最大"},
    "max_where": {"en": "the two largest are equal", "zh": "最大的两个参数相等"},
    "min_where": {"en": "the two smallest are equal", "zh": "最小的两个参数相等"},
    "rewrite": {
        "en": "For real {x}, SymPy writes {f} as {g}, the same function; "
        "differentiate that form.",
        "zh": "当 {x} 为实数时，SymPy 把 {f} 写成与之相等的 {g}，下面对这个形式求导。",
    },
    "min_which": {"en": "smallest", "zh": "最小"},
    "sigmoid": {
        "en": "The sigmoid's derivative is written with the sigmoid itself: {formula}.",
        "zh": "sigmoid 的导数可以用它自身表示：{formula}。",
    },
    "softplus": {
        "en": "softplus({v}) = ln(1 + e^{v}) and its derivative is the sigmoid: "
        "{formula}.",
        "zh": "softplus({v}) = ln(1 + e^{v})，它的导数就是 sigmoid：{formula}。",
    },
    "logsumexp": {
        "en": "{f} is a log-sum-exp, whose derivative is the softmax-weighted sum of "
        "the derivatives of the exponents: {formula}.",
        "zh": "{f} 是 log-sum-exp，它的导数是各指数的导数按 softmax 权重加权求和："
        "{formula}。",
    },
    "partial": {
        "en": "To take the partial derivative with respect to {x}, treat the other "
        "variables ({others}) as constants and differentiate as usual.",
        "zh": "对 {x} 求偏导：把其他变量（{others}）看作常数，按一元函数求导。",
    },
    "sympy": {
        "en": "No textbook rule applies to {f}, so SymPy's derivative is used.",
        "zh": "{f} 没有可用的课本法则，直接使用 SymPy 的导数。",
    },
    # --- the surrounding text ------------------------------------------
    "title": {
        "en": "Derivative of {f} with respect to {x}",
        "zh": "{f} 对 {x} 的导数",
    },
    "result": {"en": "Result", "zh": "结果"},
    "where": {"en": "for", "zh": "其中"},
    "simplify": {
        "en": "Simplify: the rule form equals dfdx.diff's form (their difference "
        "simplifies to 0)",
        "zh": "化简：按法则得到的形式与 dfdx.diff 的形式相等（二者之差化简为 0）",
    },
    "simplify_numeric": {
        "en": "Simplify: the rule form equals dfdx.diff's form (not shown "
        "symbolically: the cheap rewrites dfdx tries, none past 200 operations, "
        "did not reduce their difference to 0; they agree to 30 digits at every "
        "sample point checked)",
        "zh": "化简：按法则得到的形式与 dfdx.diff 的形式相等（未能符号化证明：dfdx 所尝试的简单变换"
        "（超过 200 次运算时不尝试）没有把二者之差化为 0；但在所有抽查的点上取值相同，精确到 30 位）",
    },
    "simplify_unchecked": {
        "en": "Simplify: dfdx.diff's form of the same derivative (dfdx could not "
        "confirm that the two forms agree everywhere)",
        "zh": "化简：同一导数在 dfdx.diff 中的形式（dfdx 无法确认两种形式处处相等）",
    },
    "colon": {"en": ": ", "zh": "："},
}

#: Rule formulas: id -> (plain text, LaTeX). ``@`` stands for the variable
#: (the inner variable u in the chain rule, where ``#`` is the outer one).
FORMULAS: dict[str, tuple[str, str]] = {
    "product": ("(f·g)′ = f′·g + f·g′", r"(fg)' = f'g + fg'"),
    "quotient": ("(f/g)′ = (f′·g − f·g′)/g²", r"(f/g)' = \frac{f'g - fg'}{g^2}"),
    "power": ("d/d@ @ⁿ = n·@ⁿ⁻¹", r"\frac{d}{d@} @^n = n @^{n-1}"),
    "exp": ("d/d@ e^@ = e^@", r"\frac{d}{d@} e^{@} = e^{@}"),
    "exponential": ("d/d@ a^@ = a^@·ln a", r"\frac{d}{d@} a^{@} = a^{@} \ln a"),
    "log": ("d/d@ ln @ = 1/@", r"\frac{d}{d@} \ln @ = \frac{1}{@}"),
    "chain": ("dy/d# = dy/d@ · d@/d#", r"\frac{dy}{d#} = \frac{dy}{d@} \frac{d@}{d#}"),
    "sin": ("d/d@ sin @ = cos @", r"\frac{d}{d@} \sin @ = \cos @"),
    "cos": ("d/d@ cos @ = −sin @", r"\frac{d}{d@} \cos @ = -\sin @"),
    "tan": (
        "d/d@ tan @ = sec²@ = 1 + tan²@",
        r"\frac{d}{d@} \tan @ = \sec^2 @ = 1 + \tan^2 @",
    ),
    "cot": (
        "d/d@ cot @ = −csc²@ = −(1 + cot²@)",
        r"\frac{d}{d@} \cot @ = -\csc^2 @ = -(1 + \cot^2 @)",
    ),
    "sec": ("d/d@ sec @ = sec @ · tan @", r"\frac{d}{d@} \sec @ = \sec @ \tan @"),
    "csc": ("d/d@ csc @ = −csc @ · cot @", r"\frac{d}{d@} \csc @ = -\csc @ \cot @"),
    "asin": (
        "d/d@ arcsin @ = 1/√(1 − @²)",
        r"\frac{d}{d@} \arcsin @ = \frac{1}{\sqrt{1 - @^2}}",
    ),
    "acos": (
        "d/d@ arccos @ = −1/√(1 − @²)",
        r"\frac{d}{d@} \arccos @ = -\frac{1}{\sqrt{1 - @^2}}",
    ),
    "atan": (
        "d/d@ arctan @ = 1/(1 + @²)",
        r"\frac{d}{d@} \arctan @ = \frac{1}{1 + @^2}",
    ),
    "acot": (
        "d/d@ arccot @ = −1/(1 + @²)",
        r"\frac{d}{d@} \operatorname{arccot} @ = -\frac{1}{1 + @^2}",
    ),
    "sinh": ("d/d@ sinh @ = cosh @", r"\frac{d}{d@} \sinh @ = \cosh @"),
    "cosh": ("d/d@ cosh @ = sinh @", r"\frac{d}{d@} \cosh @ = \sinh @"),
    "tanh": ("d/d@ tanh @ = 1 − tanh²@", r"\frac{d}{d@} \tanh @ = 1 - \tanh^2 @"),
    "coth": ("d/d@ coth @ = 1 − coth²@", r"\frac{d}{d@} \coth @ = 1 - \coth^2 @"),
    "asinh": (
        "d/d@ arsinh @ = 1/√(@² + 1)",
        r"\frac{d}{d@} \operatorname{arsinh} @ = \frac{1}{\sqrt{@^2 + 1}}",
    ),
    "acosh": (
        "d/d@ arcosh @ = 1/√(@² − 1)",
        r"\frac{d}{d@} \operatorname{arcosh} @ = \frac{1}{\sqrt{@^2 - 1}}",
    ),
    "atanh": (
        "d/d@ artanh @ = 1/(1 − @²)",
        r"\frac{d}{d@} \operatorname{artanh} @ = \frac{1}{1 - @^2}",
    ),
    "sigmoid": (
        "d/d@ σ(@) = σ(@)·(1 − σ(@))",
        r"\frac{d}{d@} \sigma(@) = \sigma(@)(1 - \sigma(@))",
    ),
    "softplus": (
        "d/d@ softplus(@) = σ(@)",
        r"\frac{d}{d@} \operatorname{softplus}(@) = \sigma(@)",
    ),
    "relu": (
        "d/d@ relu(@) = 1 (@ > 0), 0 (@ < 0)",
        r"\frac{d}{d@} \operatorname{ReLU}(@) = 1\ (@ > 0),\ 0\ (@ < 0)",
    ),
    "abs": ("d/d@ |@| = sign(@)", r"\frac{d}{d@} |@| = \operatorname{sign}(@)"),
    "logsumexp": (
        "d/d@ ln Σⱼ e^(aⱼ) = Σᵢ softmax(a)ᵢ · aᵢ′",
        r"\frac{d}{d@} \ln \sum_j e^{a_j} = \sum_i \operatorname{softmax}(a)_i\, a_i'",
    ),
}


def check_lang(lang) -> str:
    """Validate a language code; returns it."""
    from dfdx.errors import DfdxError

    if not isinstance(lang, str) or lang not in LANGS:
        raise DfdxError(
            f"lang must be one of {', '.join(map(repr, LANGS))}, got {lang!r}"
        )
    return lang


def msg(key: str, lang: str) -> str:
    """The template of message `key` in `lang`."""
    return MESSAGES[key][lang]


def rule_name(rule: str, lang: str) -> str:
    """The localised name of rule id `rule`."""
    return RULE_NAMES[rule][lang]


def localise(table: dict, key: str, lang: str, **fields) -> str:
    """Entry `key` of a module's word table in `lang`, its placeholders
    filled. An entry is ``{"en": ..., "zh": ...}`` or an ``(en, zh)`` pair."""
    entry = table[key]
    text = entry[lang] if isinstance(entry, dict) else entry[LANGS.index(lang)]
    return text.format(**fields)
