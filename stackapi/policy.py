"""Policy: named rules in a small language, defaults in code, overrides from a JSON file.

``"role:admin or project_id:%(project_id)s"`` -- checked against the caller
(``req.context``) and a target (the resource's own ``project_id`` ...).
A refusal is a 403 forbidden fault.  Not oslo.policy: no plugins, no HTTP checks.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import webob.exc

from stackapi.errors import ConfigError
from stackapi.request_context import RequestContext

ENVIRON_KEY = "stackapi.policy"
Check = Callable[[dict, Mapping, "Policy"], bool]


class Policy:
    """Named rules: defaults from code, each one replaceable from a JSON file.

    ::

        RULES = {
            "admin_api": "is_admin:True",
            "admin_or_owner": "is_admin:True or project_id:%(project_id)s",
            "compute:servers:delete": "rule:admin_or_owner",
            "compute:servers:resetState": "rule:admin_api",
        }
        policy = Policy(RULES, policy_file="/etc/demo/policy.json")  # file optional
        super().__init__(mapper, policy=policy)                      # the Router's option

    The language: ``@`` (allow), ``!`` (deny), ``role:NAME`` (the caller has
    that role), ``rule:NAME`` (another rule), ``ATTR:VALUE`` (the caller's
    ``user_id``/``project_id``/``is_admin``... equals VALUE, which may be
    ``%(key)s`` of the target, or ``True``/``False``), combined with ``and``,
    ``or``, ``not`` and parentheses.  An empty rule allows.  The file is a
    JSON object ``{"rule name": "rule text"}``, read once at startup (a
    SIGHUP reload reads it again); a broken file or rule stops startup with a
    one-line error.  Checking a name that has no rule is a LookupError (a
    bug, answered 500); ``rule:`` naming an unknown rule is false.
    """

    def __init__(
        self, defaults: Mapping[str, str], policy_file: str | os.PathLike | None = None
    ) -> None:
        texts = dict(defaults)
        self.policy_file = os.fspath(policy_file) if policy_file else None
        if self.policy_file:
            texts.update(_read_rules(self.policy_file))
        self.texts = texts
        self.rules = {name: _compile(name, text) for name, text in texts.items()}
        for name in self.rules:
            self._check_cycle(name, ())

    def check(self, name: str, context: RequestContext, target: Mapping | None = None) -> bool:
        """Whether rule ``name`` allows ``context`` on ``target``."""
        if name not in self.rules:
            raise LookupError(f"no policy rule named {name!r}")
        creds = context.to_dict()
        target = target if target is not None else default_target(context)
        return self.rules[name](creds, target, self)

    def enforce(self, name: str, context: RequestContext, target: Mapping | None = None) -> None:
        """Raise 403 forbidden unless rule ``name`` allows ``context`` on ``target``."""
        if not self.check(name, context, target):
            message = f"Policy doesn't allow {name} to be performed."
            refused = webob.exc.HTTPForbidden(explanation=message)
            refused.always_expected = True  # passes any @expected_errors, as in nova
            raise refused

    def _check_cycle(self, name: str, stack: tuple[str, ...]) -> None:
        if name in stack:
            raise ConfigError(f"policy rule {name!r} refers to itself: {' -> '.join(stack)}")
        for ref in _references(self.texts.get(name, "")):
            self._check_cycle(ref, (*stack, name))


def default_target(context: RequestContext) -> dict:
    """The caller's own project and user: what a collection or a create is checked on."""
    return {"project_id": context.project_id, "user_id": context.user_id}


def enforce(req: Any, name: str, target: Mapping | None = None) -> None:
    """``enforce(req, "compute:servers:delete", server)``: the policy of ``req``'s Router."""
    policy = req.environ.get(ENVIRON_KEY)
    if policy is None:
        raise LookupError(f"rule {name!r} checked but no Policy given to the Router")
    policy.enforce(name, req.context, target)


def authorize(name: str) -> Callable:
    """Decorator: check rule ``name`` (on the caller's own project) before the method runs.

    ::

        @authorize("compute:servers:index")
        def index(self, req): ...

    For a rule on a loaded resource, call :func:`enforce` with it as target.
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def authorized(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
            enforce(req, name)
            return func(self, req, *args, **kwargs)

        authorized.wsgi_policy = name  # type: ignore[attr-defined]  # the OpenAPI document's 403
        return authorized

    return decorate


def _read_rules(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}", key="policy_file") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}", key="policy_file") from None
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise ConfigError(
            f'{path}: expected a JSON object of rule texts, e.g. {{"name": "role:admin"}}',
            key="policy_file",
        )
    return document


# --- the language -------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """Words, with parentheses split off their ends (``%(key)s`` inside a word stays)."""
    tokens: list[str] = []
    for word in text.split():
        head = len(word) - len(word.lstrip("("))
        tail = len(word) - len(word.rstrip(")"))
        if head == len(word):
            tokens.extend(word)
            continue
        core = word[head : len(word) - tail]
        tokens.extend(["("] * head + ([core] if core else []) + [")"] * tail)
    return tokens


def _compile(name: str, text: str) -> Check:
    tokens = _tokens(text)
    if not tokens:
        return lambda creds, target, policy: True
    parser = _Parser(tokens)
    try:
        check = parser.expression()
        if parser.position != len(tokens):
            raise ValueError(f"unexpected {tokens[parser.position]!r}")
    except ValueError as exc:
        raise ConfigError(f"policy rule {name!r}: {exc} in {text!r}") from None
    return check


class _Parser:
    """Recursive descent: or < and < not < (expression) | check."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end")
        self.position += 1
        return token

    def expression(self) -> Check:
        parts = [self._conjunction()]
        while self._peek() == "or":
            self._take()
            parts.append(self._conjunction())
        return parts[0] if len(parts) == 1 else _any(parts)

    def _conjunction(self) -> Check:
        parts = [self._negation()]
        while self._peek() == "and":
            self._take()
            parts.append(self._negation())
        return parts[0] if len(parts) == 1 else _all(parts)

    def _negation(self) -> Check:
        if self._peek() == "not":
            self._take()
            inner = self._negation()
            return lambda creds, target, policy: not inner(creds, target, policy)
        if self._peek() == "(":
            self._take()
            inner = self.expression()
            if self._peek() != ")":
                raise ValueError("missing ')'")
            self._take()
            return inner
        return _atom(self._take())


def _any(parts: list[Check]) -> Check:
    return lambda creds, target, policy: any(p(creds, target, policy) for p in parts)


def _all(parts: list[Check]) -> Check:
    return lambda creds, target, policy: all(p(creds, target, policy) for p in parts)


def _atom(token: str) -> Check:
    if token == "@":
        return lambda *_: True
    if token == "!":
        return lambda *_: False
    kind, colon, match = token.partition(":")
    if not colon or not kind or not match or token in ("and", "or", "not", ")"):
        raise ValueError(f"{token!r} is not a check (expected @, !, role:X, rule:X or attr:X)")
    if kind == "rule":
        return _rule_check(match)
    if kind == "role":
        role = match.lower()
        return lambda creds, target, policy: role in creds.get("roles", ())
    return _generic_check(kind, match)


def _rule_check(name: str) -> Check:
    # Rules that refer to themselves were refused when the Policy was built.
    def check(creds: dict, target: Mapping, policy: Policy) -> bool:
        rule = policy.rules.get(name)
        return rule is not None and rule(creds, target, policy)

    return check


def _generic_check(kind: str, match: str) -> Check:
    literal = {"True": True, "False": False}.get(match)

    def check(creds: dict, target: Mapping, policy: Policy) -> bool:
        if kind not in creds:
            return False
        value = creds[kind]
        if literal is not None:
            return value is literal
        try:
            expected = match % target
        except (KeyError, TypeError, ValueError):
            return False  # the target lacks the key: not a match
        return value is not None and str(value) == expected

    return check


def _references(text: str) -> list[str]:
    return [t[len("rule:") :] for t in _tokens(text) if t.startswith("rule:")]
