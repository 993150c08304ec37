"""Safe XML reading into plain data, in the familiar xmltodict shape.

Parsing goes through defusedxml, so entity declarations (billion laughs), external
entities and external DTDs are refused rather than expanded or fetched.
The shape: `{"root": ...}`; attributes become `"@name"` keys, mixed text becomes
`"#text"`, repeated child elements become lists, an element with only text becomes
that string and an empty element becomes None. Namespace URIs are dropped so keys are
the local names users see in the document (`<soap:Body>` -> `"Body"`).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class UnreadableXml(ValueError):
    """The body is not XML we are willing to read; the message says why, plainly."""


def read_xml(body: bytes) -> dict[str, Any]:
    """Parse XML bytes (encoding taken from the XML declaration) into plain data."""
    try:
        root = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise UnreadableXml(
            f"The XML declares entities or external references ({type(error).__name__}), "
            "which are refused for safety"
        ) from error
    except ParseError as error:
        raise UnreadableXml(f"The body is not well-formed XML ({error})") from error
    except (ValueError, LookupError) as error:
        raise UnreadableXml(f"The XML could not be decoded ({error})") from error
    try:
        return {_local_name(root.tag): _element_value(root)}
    except RecursionError as error:
        raise UnreadableXml("The XML is nested too deeply to read") from error


def _local_name(tag: str) -> str:
    """`{urn:x}Body` -> `Body`."""
    return tag.rsplit("}", 1)[-1]


def _element_value(element: Element) -> Any:
    """One element as a string, None, or a dict of attributes, children and text."""
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text or None
    value: dict[str, Any] = {f"@{_local_name(k)}": v for k, v in element.attrib.items()}
    for child in children:
        key = _local_name(child.tag)
        child_value = _element_value(child)
        if key not in value:
            value[key] = child_value
        elif isinstance(value[key], list):
            value[key].append(child_value)
        else:
            value[key] = [value[key], child_value]
    tail_text = "".join((child.tail or "").strip() for child in children)
    if text or tail_text:
        value["#text"] = text + tail_text
    return value
