"""`config path`, `config show`, `config set`: the configuration file, tokens never shown."""

from __future__ import annotations

from runs_tui import config
from runs_tui.cli.exit_codes import ExitCode
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
    overrides = [name for name in (config.PROFILE_ENV, config.URL_ENV, config.TOKEN_ENV) if ctx.env.get(name)]
    header = [
        f"# file: {ctx.config.path}",
        f"# active profile: {profile.name} ({where})",
        f"# token: {'set' if profile.token else 'not set'}" + (" (shown masked)" if profile.token else ""),
    ]
    if overrides:
        header.append(f"# overridden by the environment: {', '.join(overrides)}")
    print("\n".join(header), file=ctx.stdout)
    body = config.render_toml(config.masked_document(ctx.config))
    if body:
        print(body, end="", file=ctx.stdout)
    return ExitCode.OK


def cmd_config_set(ctx: Context) -> int:
    document = config.set_value(ctx.config.document, ctx.args.key, ctx.args.value, ctx.config.path)
    config.save_document(ctx.config.path, document)
    ctx.say(f"set {ctx.args.key} in {ctx.config.path}")
    return ExitCode.OK
