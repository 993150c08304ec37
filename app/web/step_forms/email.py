"""Editor form of the e-mail step: SMTP server and login (password kept secret), the
addresses, subject, and a plain-text message with an optional HTML version.
"""

from __future__ import annotations

import re

from app.web.secrets import SecretBox
from app.web.step_forms.base import Config, Problems, StepFormType, blank_to_none
from app.web.step_forms.model import StepForm

TLS_MODES = {
    "starttls": "STARTTLS (usually port 587)",
    "ssl": "SSL/TLS (usually port 465)",
    "none": "None (not recommended)",
}
_FIELDS = (
    "host",
    "port",
    "tls",
    "username",
    "password",
    "from_address",
    "to",
    "cc",
    "subject",
    "text_body",
    "html_body",
)


def _to_config(step: StepForm, box: SecretBox) -> tuple[Config, Problems]:
    problems: Problems = {}
    port_text = step.value("port", "587").strip()
    if not port_text.isdigit():
        problems["port"] = "Type a port number, such as 587 or 465."
    config: Config = {
        "host": step.value("host").strip(),
        "port": int(port_text) if port_text.isdigit() else 587,
        "tls": step.value("tls", "starttls"),
        "username": blank_to_none(step.value("username")),
        "password": step.value("password").strip() or None,
        "from_address": step.value("from_address").strip(),
        "to": step.value("to").strip(),
        "cc": step.value("cc").strip(),
        "subject": step.value("subject"),
        "text_body": step.value("text_body"),
        "html_body": blank_to_none(step.value("html_body")),
    }
    return config, problems


FORM = StepFormType(
    type_name="email",
    template="steps/email.html",
    fields=_FIELDS,
    secrets=("password",),
    templated=("to", "cc", "subject", "text_body", "html_body"),
    defaults={"port": "587", "tls": "starttls"},
    placed=re.compile("|".join(_FIELDS)),
    to_config=_to_config,
)
