"""`config path|show|set|keys`: the configuration file (tokens never shown), and the keys
its `[keymap]` can rebind."""

from __future__ import annotations

import json

from runs_tui import config
from runs_tui.cli.exit_codes import CliError, ExitCode
from runs_tui.cli.output import write_table
from runs_tui.cli.session import Context
from runs_tui.sanitize import inert


def cmd_config_path(ctx: Context) -> int:
    print(ctx.config.path, file=ctx.stdout)
    return ExitCode.OK


def cmd_config_show(ctx: Context) -> int:
    """A commented header (which file, which profile, what the environment overrides), then
    the file's TOML with every token masked."""
    profile = ctx.profile()
    where = "embedded demo backend" if profile.is_embedded else inert(profile.url)
    overrides = [
        name for name in (config.PROFILE_ENV, config.URL_ENV, config.TOKEN_ENV) if ctx.env.get(name)
    ]
    header = [
        f"# file: {ctx.config.path}",
        f"# active profile: {profile.name} ({where})",
        f"# token: {'set' if profile.token else 'not set'}"
        + (" (shown masked)" if profile.token else ""),
    ]
    if overrides:
        header.append(f"# overridden by the environment: {', '.join(overrides)}")
    print("\n".join(header), file=ctx.stdout)
    body = config.render_toml(config.masked_document(ctx.config))
    if body:
        print(body, end="", file=ctx.stdout)
    return ExitCode.OK


def cmd_config_set(ctx: Context) -> int:
    key = ctx.args.key
    if key.startswith(f"{config.KEYMAP}."):
        from runs_tui.cli.keys import unknown_binding_ids

        if unknown_binding_ids({key.removeprefix(f"{config.KEYMAP}."): ""}):
            raise CliError(
                f"{key}: no such binding; `runs-tui config keys` lists the ids", ExitCode.USAGE
            )
    path = ctx.config.path
    document = config.set_value(config.read_for_edit(path), key, ctx.args.value, path)
    config.save_document(path, document)
    ctx.say(f"set {key} in {ctx.config.path}")
    return ExitCode.OK


def cmd_config_keys(ctx: Context) -> int:
    """Every rebindable key: its id, the keys in effect (the config's `[keymap]` applied,
    marked `*`), what it does and where. Ids the keymap names but no binding has go to
    stderr, as the dashboard would report them."""
    from runs_tui.cli.keys import dashboard_key_bindings, unknown_binding_ids  # imports the UI

    keymap = ctx.config.keymap
    entries = dashboard_key_bindings()
    if ctx.args.format == "json":
        rows = [
            {
                "id": e.id,
                "keys": keymap.get(e.id, e.keys),
                "default_keys": e.keys,
                "description": e.description,
                "where": e.where,
            }
            for e in entries
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=ctx.stdout)
    else:
        table = [("ID", "KEYS", "ACTION", "WHERE")] + [
            (e.id, f"{keymap[e.id]} *" if e.id in keymap else e.keys, e.description, e.where)
            for e in entries
        ]
        write_table(table, ctx.stdout)
    for unknown in unknown_binding_ids(keymap):
        ctx.say(f"warning: {ctx.config.path}: keymap.{unknown} names no binding")
    return ExitCode.OK
