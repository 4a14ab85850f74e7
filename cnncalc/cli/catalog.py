"""The commands that list what cnncalc knows: layers, examples."""

from __future__ import annotations

import click

from ..errors import CnnCalcError
from .common import fail, main


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the layer kinds as JSON.")
@click.option("--no-color", is_flag=True, help="No colours.")
def layers(name, as_json, no_color):
    """List every layer kind with its syntax and aliases, and the ways to compose them
    (residual, add, concat, mul, split, def, repeat, label); or one in full."""
    from ..layers import REGISTRY
    from ..render.layers import FORMS, describe, layer_catalog, print_layers

    name = name.lower() if name is not None else None  # as the spec reads it: ReLU, FC
    if name is not None and name not in REGISTRY and name not in FORMS:
        from ..errors import did_you_mean

        fail(CnnCalcError(f"unknown layer '{name}'{did_you_mean(name, [*REGISTRY, *FORMS])}",
                           where="cnncalc layers"))
    if name in FORMS:
        form = FORMS[name]
        if as_json:
            import json

            click.echo(json.dumps(form._asdict(), indent=2, ensure_ascii=False))
        else:
            print_layers(name, no_color=no_color)
        return
    kind = REGISTRY[name] if name else None
    if as_json:
        import json

        data = describe(kind) if kind else layer_catalog()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print_layers(kind.name if kind else None, no_color=no_color)


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the list (or the example) as JSON.")
@click.option("--no-color", is_flag=True, help="No colours.")
def examples(name, as_json, no_color):
    """List the example nets that ship with cnncalc, with their sources and reference
    figures, or print one (its spec text). Any command takes an example's name as SPEC:
    cnncalc analyze resnet50."""
    from .. import bundled

    if name is not None and bundled.path_of(name) is None:
        from ..errors import did_you_mean

        fail(CnnCalcError(f"no bundled example '{name}'"
                           f"{did_you_mean(name, bundled.names())} (cnncalc examples lists "
                           f"them)", where="cnncalc examples"))
    if name is not None:
        stem = name[:-4] if name.endswith(".cnn") else name
        with open(bundled.path_of(stem), encoding="utf-8") as fh:
            text = fh.read()
        if as_json:
            import json

            click.echo(json.dumps({**bundled.about(stem), "spec": text}, indent=2,
                                  ensure_ascii=False))
        else:
            click.echo(text, nl=False)
        return
    listing = [bundled.about(n) for n in bundled.names()]
    if as_json:
        import json

        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    from ..render.examples import print_examples

    print_examples(listing, no_color=no_color)
