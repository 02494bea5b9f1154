#!/usr/bin/env python3
"""Writes docs/diagnostics.md from the golden examples of every diagnostic id.

Usage: python3 Tools/make_diagnostics_doc.py   (standard library only; run after
`CNNC_RECORD=1 swift test --filter DiagnosticGoldenTests` re-records the goldens)

Each entry shows the rule in words, the example spec Tests/Golden/diagnostics/<id>.cnn and the
text cnnc prints for it (<id>.txt), so the documentation cannot drift from the compiler.
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "Tests" / "Golden" / "diagnostics"

RULES = {
    "block.empty": "A `concat` or `add` block needs at least one branch.",
    "channels.bias-count": "`bias=[…]` must hold one value per output channel.",
    "channels.branch-mismatch": "`add` branches must have the same channel count (height and width agree).",
    "channels.groups": "Input and output channels must both divide by `groups`; `dwconv` output channels must be a multiple of the input channels.",
    "channels.weight-count": "`weights=[…]` must hold exactly the layer's weight count, in PyTorch order (out, in/groups, kh, kw); this is where a wrong kernel depth shows.",
    "def.before-definition": "A definition must come before its first use.",
    "def.duplicate": "A definition name (or a parameter name within one definition) is declared twice.",
    "def.recursive": "A definition uses itself, directly or through other definitions. Reported even if never called.",
    "def.unknown": "A call names no definition; a close name is offered.",
    "def.unknown-parameter": "A named call argument matches no parameter.",
    "diagnostics.too-many": "More than 100 diagnostics: the rest are dropped (a note, not an error).",
    "expand.too-many-layers": "The expanded network would exceed 1,000,000 layers; checked before a `repeat` multiplies its body.",
    "header.missing-input": "Every spec needs one `input HxWxC` line.",
    "lint.activation-after-softmax": "(lint) A non-linearity right after `softmax` distorts the probabilities.",
    "lint.bias-before-bn": "(lint) A conv/fc bias directly followed by `bn` is cancelled by the mean subtraction: wasted parameters.",
    "lint.consecutive-linear": "(lint) Two `fc` layers with no non-linearity between collapse into one linear map.",
    "lint.dropout-before-output": "(lint) `dropout` directly before an output does nothing useful.",
    "lint.fc-dominates": "(lint) One `fc` layer holds most of the network's parameters.",
    "lint.softmax-not-last": "(lint) `softmax` is followed by more computation.",
    "lint.spatial-collapse": "(lint) The spatial size collapses to 1 while spatial layers still follow.",
    "lint.stride-exceeds-kernel": "(lint) A stride larger than the kernel skips pixels that are never read.",
    "lint.unused-definition": "(lint) A `def` that is never called.",
    "lint.unused-label": "(lint) A block label nothing reads.",
    "network.empty": "A spec with an input but no layers has nothing to compute.",
    "name.duplicate": "Two layers have the same composed name.",
    "name.output-before-layer": "`output` must follow the layers it names.",
    "name.unknown-label": "`@label` names no earlier labelled layer; a close label is offered.",
    "shape.concat-mismatch": "`concat` branches must agree in height and width (`add` branches in every dimension).",
    "shape.overflow": "A size, element or byte count does not fit in a 64-bit integer.",
    "spatial.empty-output": "A transposed convolution whose padding removes more than it adds.",
    "spatial.kernel-too-large": "A kernel larger than its padded input.",
    "spatial.non-integral": "A window count that is not a whole number and would leave real input unread (the contract's exact rule); shows the arithmetic, the unread rows/columns and the nearest fixes.",
    "spatial.outpad": "`outpad` must be smaller than the stride or the dilation (PyTorch).",
    "spatial.pool-padding": "Pooling padding must be at most half the kernel (PyTorch).",
    "syntax.duplicate-header": "A header (or `output`) is given twice.",
    "syntax.duplicate-option": "An option is given twice, in any spelling (`s2 stride=2`).",
    "syntax.expected-layer": "A layer was expected (after `|` or a label).",
    "syntax.expected-value": "A value, name or punctuation was expected here.",
    "syntax.header-after-layer": "`network`, `input` and `rounding` must come before the first layer.",
    "syntax.invalid-label": "Labels start with a letter or `_` and hold letters, digits, `_` and `.`.",
    "syntax.invalid-utf8": "Spec files are UTF-8; reported once per line at the first bad byte.",
    "syntax.invalid-value": "A number or keyword that is malformed or out of range (zero counts, negative sizes, `order=xyz`).",
    "syntax.line-too-long": "Lines are limited to 65,536 bytes.",
    "syntax.misplaced-def": "`def` is only allowed at the top level.",
    "syntax.missing-argument": "A required positional argument (count, kernel) or call argument is missing.",
    "syntax.nesting-too-deep": "Blocks or calls nested more than 200 deep.",
    "syntax.nul-byte": "A NUL byte: probably a binary file.",
    "syntax.reference-after-pipe": "`@label` may only begin a line or branch.",
    "syntax.semicolon-outside-block": "`;` separates branches inside `concat`/`add` only.",
    "syntax.trailing-pipe": "A `|` must be followed by a layer.",
    "syntax.unclosed-block": "A `{` or `[` without its closing partner.",
    "syntax.unexpected-argument": "More positional arguments than the kind takes.",
    "syntax.unexpected-character": "A character that cannot start any token.",
    "syntax.unexpected-token": "Something other than `|` or the end of the line follows a layer.",
    "syntax.unknown-layer": "An unknown layer kind; a close kind (or a definition to call) is offered.",
    "syntax.unknown-option": "An option the layer kind does not take; a close option is offered.",
}


def main():
    out = ["# Diagnostics", "",
           "Every diagnostic has a stable id (scripts and CI filter on them; ids are never reused).",
           "Severity is `error` unless marked lint (`warning`, from `cnnc lint`; `--werror` makes them errors).",
           "Exit codes: 0 clean, 1 errors, 2 usage or I/O. Each entry shows the example spec from",
           "`Tests/Golden/diagnostics/` and what `cnnc check` prints for it (this page is generated by",
           "`Tools/make_diagnostics_doc.py`).", ""]
    out += ["| id | rule |", "|---|---|"]
    out += [f"| `{i}` | {RULES[i]} |" for i in sorted(RULES)]
    out.append("")
    for i in sorted(RULES):
        spec = (GOLDEN / f"{i}.cnn").read_bytes().decode("utf-8", "replace")
        text = (GOLDEN / f"{i}.txt")
        out += [f"## `{i}`", "", RULES[i], ""]
        if len(spec) > 2000:
            spec = spec[:300] + "\n… (long input elided)\n"
        out += ["```", spec.rstrip("\n").replace("\x00", "\\0"), "```", ""]
        if text.exists():
            body = text.read_text()
            if len(body) > 4000:
                body = body[:1500] + "\n… (elided)\n"
            out += ["```", body.rstrip("\n"), "```", ""]
    (ROOT / "docs" / "diagnostics.md").write_text("\n".join(out))


if __name__ == "__main__":
    main()
