"""click's own words in Chinese: a missing option, a bad value, an unknown command or option, and
the headings of ``--help`` (用法、选项、命令), so that they read as gridsvc's own messages do.

click words them through gettext: each of its modules does ``from gettext import gettext as _``
(and ``ngettext``), with click's English text as the message id. :func:`speak_chinese` gives those
modules functions that look the id up in :data:`CLICK_SAYS` first; an id not there (one a later
click adds) stays as click says it. Only the ``gridsvc`` process does this, when its command line
is loaded.

>>> speak_chinese()
>>> import click
>>> click.BadParameter("'x' 不是整数", param_hint="'--port'").format_message()
"'--port' 的取值无效：'x' 不是整数"
"""

from __future__ import annotations

import gettext
import importlib

CLICK_SAYS = {
    "Error: {message}": "gridsvc 出错：{message}",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项 {name}",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想用其中之一：{possibilities}？）",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数值（{number_type}）。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats} 中的任何一种。",
    "{value!r} is not a valid boolean.": "{value!r} 不是有效的是/否值。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Aborted!": "已中止！",
    "Usage:": "用法:",  # click adds a space, and a colon after each heading
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "Show this message and exit.": "显示此帮助并退出。Show this message and exit.",
    "Show the version and exit.": "显示版本并退出。Show the version and exit.",
    "Do you want to continue?": "是否继续？",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "gridsvc 出错：两次输入不一致。",
    "Error: invalid input": "gridsvc 出错：输入无效",
    "Confirm the action without prompting.": "不提示，直接确认。Confirm the action without prompting.",
}
_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.termui",
    "click.types",
    "click.utils",
)


def _say(message: str) -> str:
    return CLICK_SAYS.get(message) or gettext.gettext(message)


def _say_n(singular: str, plural: str, n: int) -> str:
    return CLICK_SAYS.get(singular if n == 1 else plural) or gettext.ngettext(singular, plural, n)


def speak_chinese() -> None:
    """Give click's modules the lookups above in place of gettext's (again: no harm)."""
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _say
        if hasattr(module, "ngettext"):
            module.ngettext = _say_n
