"""The message catalog: every reason a refusal or an option gives, by a stable code, in the five languages.

A :class:`Reason` is a string: the text the library has always shown
(English, names as they are, for developers and logs), carrying its
``code`` and ``params`` for programs. :meth:`Reason.text` renders it for a
person in one of :data:`LANGUAGES`, from :data:`CATALOG`: the names in it
(fields, roles, triggers, states, choice values) shown by their titles in
that language, looked up through the definition (``titles``, anything with
:meth:`~just_workflow.definition.Definition.title_of`). Nothing is rendered
until asked: a fire that succeeds never touches the catalog.

The kinds of parameters (:data:`KINDS`) say how a value is shown: ``field``,
``role``, ``trigger``, ``state``, ``protocol`` and ``invariant`` by their
titles; ``value`` and ``choices`` by the titles of the choices of the
``field`` parameter; lists (``roles``, ``triggers``, ``fields``,
``actors``, ``names``) joined; ``reason`` and ``reasons`` rendered in turn;
``op`` as words; ``text`` as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

#: The languages of the catalog; every message has a text in each.
LANGUAGES: tuple[str, ...] = ("en", "sk", "es", "it", "sl")


class Titles(Protocol):
    """What renders names as titles: a definition (:meth:`~just_workflow.definition.Definition.title_of`)."""

    def title_of(self, kind: Any, name: str, lang: str = "en", *, field: str | None = None) -> str: ...


class Reason(str):
    """A reason as shown by default, with its stable ``code`` and ``params`` (see the module docstring)."""

    code: str
    params: Mapping[str, Any]

    def __new__(cls, default: str, code: str, **params: Any) -> Reason:
        reason = super().__new__(cls, default)
        reason.code = code
        reason.params = params
        return reason

    def text(self, lang: str | None = None, titles: Titles | None = None) -> str:
        """The reason in ``lang`` with names shown by their ``titles``; None: the default text."""
        if lang is None:
            return str(self)
        return render(self.code, self.params, lang, titles)


def reason_text(reason: str, lang: str | None, titles: Titles | None) -> str:
    """``reason`` in ``lang``: a :class:`Reason` is rendered, any other text is shown as it is."""
    return reason.text(lang, titles) if isinstance(reason, Reason) else reason


def translated(text: str, lang: str | None, titles: Titles | None) -> str:
    """``text`` in ``lang`` keeping its code: a :class:`Reason` rendered as a Reason, any other text as it is."""
    if lang is None or not isinstance(text, Reason):
        return text
    return Reason(render(text.code, text.params, lang, titles), text.code, **text.params)


def render(code: str, params: Mapping[str, Any], lang: str, titles: Titles | None = None) -> str:
    """The message ``code`` in ``lang`` (English for a language the catalog lacks), ``params`` shown."""
    message = CATALOG[code]
    lang = lang if lang in LANGUAGES else "en"
    shown = {name: _show(KINDS[code][name], value, params, lang, titles) for name, value in params.items()}
    return message[lang].format(**shown)


_QUOTES = {"en": ("“", "”"), "sk": ("„", "“"), "sl": ("„", "“"), "es": ("«", "»"), "it": ("«", "»")}
_NONE = {"en": "none", "sk": "žiadne", "es": "ninguno", "it": "nessuno", "sl": "nobeden"}
#: The operators of conditions as words, each with its "must".
OPS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "eq": "must be",
        "ne": "must not be",
        "in": "must be one of",
        "not_in": "must not be one of",
        "contains": "must include",
        "gt": "must be more than",
        "ge": "must be at least",
        "lt": "must be less than",
        "le": "must be at most",
    },
    "sk": {
        "eq": "musí byť",
        "ne": "nesmie byť",
        "in": "musí byť jedným z",
        "not_in": "nesmie byť jedným z",
        "contains": "musí obsahovať",
        "gt": "musí byť viac ako",
        "ge": "musí byť aspoň",
        "lt": "musí byť menej ako",
        "le": "musí byť najviac",
    },
    "es": {
        "eq": "debe ser",
        "ne": "no debe ser",
        "in": "debe ser uno de",
        "not_in": "no debe ser uno de",
        "contains": "debe incluir",
        "gt": "debe ser mayor que",
        "ge": "debe ser al menos",
        "lt": "debe ser menor que",
        "le": "debe ser como máximo",
    },
    "it": {
        "eq": "deve essere",
        "ne": "non deve essere",
        "in": "deve essere uno tra",
        "not_in": "non deve essere uno tra",
        "contains": "deve includere",
        "gt": "deve essere maggiore di",
        "ge": "deve essere almeno",
        "lt": "deve essere minore di",
        "le": "deve essere al massimo",
    },
    "sl": {
        "eq": "mora biti",
        "ne": "ne sme biti",
        "in": "mora biti eno od",
        "not_in": "ne sme biti eno od",
        "contains": "mora vsebovati",
        "gt": "mora biti več kot",
        "ge": "mora biti vsaj",
        "lt": "mora biti manj kot",
        "le": "mora biti največ",
    },
}

_TITLED = {"field", "role", "trigger", "state", "protocol", "invariant"}
_LISTS = {"roles": "role", "triggers": "trigger", "fields": "field", "actors": None, "names": None}


def _show(kind: str, value: Any, params: Mapping[str, Any], lang: str, titles: Titles | None) -> str:
    opening, closing = _QUOTES[lang]
    if kind in _TITLED:
        title = str(value) if titles is None else titles.title_of(kind, str(value), lang)
        return f"{opening}{title}{closing}"
    if kind in _LISTS:
        single = _LISTS[kind]
        items = [
            _show(single, item, params, lang, titles) if single else f"{opening}{item}{closing}"
            for item in value
        ]
        return ", ".join(items) or _NONE[lang]
    if kind in ("value", "choices"):
        return _values(value if kind == "choices" else [value], params.get("field"), lang, titles)
    if kind == "reason":
        return reason_text(value, lang, titles)
    if kind == "reasons":
        return "; ".join(reason_text(reason, lang, titles) for reason in value)
    if kind == "op":
        return OPS[lang][value]
    return str(value)


def _values(values: Sequence[Any], field: str | None, lang: str, titles: Titles | None) -> str:
    """Values of ``field``, a choice by its title; a list value is its items."""
    opening, closing = _QUOTES[lang]
    shown = []
    for value in values:
        for item in value if isinstance(value, list | tuple) else [value]:
            if not isinstance(item, str):
                shown.append(repr(item))
                continue
            title = (
                item
                if titles is None or field is None
                else titles.title_of("choice", item, lang, field=field)
            )
            shown.append(f"{opening}{title}{closing}")
    return ", ".join(shown) or _NONE[lang]


# The catalog. Each code: its parameters with their kinds, and its text in every language.

KINDS: Mapping[str, Mapping[str, str]] = {
    "start-not-allowed": {"role": "role", "protocol": "protocol", "roles": "roles"},
    "role-may-not-fire-it": {"role": "role", "roles": "roles"},
    "role-may-not-fire": {"role": "role", "trigger": "trigger", "state": "state", "roles": "roles"},
    "not-a-party": {"actor": "text", "role": "role"},
    "not-a-party-to-fire": {"actor": "text", "role": "role", "actors": "actors", "trigger": "trigger"},
    "state-final": {"state": "state", "trigger": "trigger"},
    "trigger-not-available": {"trigger": "trigger", "state": "state", "triggers": "triggers"},
    "trigger-unknown": {"trigger": "text", "state": "state", "triggers": "triggers"},
    "cannot-fire": {"trigger": "trigger", "reasons": "reasons"},
    "invalid-payload": {"trigger": "trigger", "reasons": "reasons"},
    "unknown-input": {"input": "text", "trigger": "trigger", "fields": "fields"},
    "required-input-missing": {"field": "field"},
    "required-field-not-set": {"field": "field"},
    "condition-field-not-set": {"field": "field", "op": "op", "expected": "value"},
    "condition-false": {"field": "field", "op": "op", "expected": "value", "value": "value"},
    "guard-false": {"guard": "text"},
    "invariant-field-not-set": {"invariant": "invariant", "field": "field"},
    "invariant-broken": {"invariant": "invariant", "reason": "reason"},
    "expects-text": {"field": "field"},
    "expects-integer": {"field": "field"},
    "expects-boolean": {"field": "field"},
    "expects-date": {"field": "field"},
    "expects-list": {"field": "field"},
    "invalid-text": {"field": "field"},
    "integer-out-of-range": {"field": "field"},
    "not-a-choice": {"field": "field", "value": "value", "choices": "choices"},
    "too-few-items": {"field": "field", "min": "text", "count": "text"},
    "role-already-signed": {"role": "role", "trigger": "trigger"},
    "already-signed": {"actor": "text", "trigger": "trigger"},
    "signed-for-another-role": {"actor": "text", "trigger": "trigger", "role": "role"},
    "signoff-refused": {"reason": "reason", "roles": "roles"},
    "no-party-bound": {"roles": "roles"},
    "last-party": {"actor": "text", "role": "role"},
    "last-party-replace": {"actor": "text", "role": "role"},
    "not-a-party-as": {"actor": "text", "role": "role", "actors": "actors"},
    "already-a-party": {"actor": "text", "role": "role"},
    "unknown-party-input": {"input": "text", "trigger": "trigger", "names": "names"},
    "party-input-not-text": {"input": "text"},
    "party-input-invalid-text": {"input": "text"},
    "role-is-system": {"role": "text", "roles": "roles"},
    "role-is-open": {"role": "role", "roles": "roles"},
    "role-unknown": {"role": "text", "roles": "roles"},
    "may-not-invite": {"role": "role", "other": "role", "roles": "roles"},
    "may-not-remove": {"role": "role", "other": "role", "roles": "roles"},
    "may-not-replace": {"role": "role", "other": "role", "roles": "roles"},
    "clock-only-caller": {"trigger": "trigger"},
    "deadline-clock-only": {"due": "text"},
    "title-invite": {"roles": "roles"},
    "title-remove-party": {"roles": "roles"},
    "title-replace-party": {"roles": "roles"},
}

CATALOG: Mapping[str, Mapping[str, str]] = {
    "start-not-allowed": {
        "en": "The role {role} may not start the process {protocol}; roles that may: {roles}.",
        "sk": "Rola {role} nemôže začať proces {protocol}; môžu: {roles}.",
        "es": "El rol {role} no puede iniciar el proceso {protocol}; pueden hacerlo: {roles}.",
        "it": "Il ruolo {role} non può avviare il processo {protocol}; possono farlo: {roles}.",
        "sl": "Vloga {role} ne more začeti postopka {protocol}; to lahko storijo: {roles}.",
    },
    "role-may-not-fire-it": {
        "en": "the role {role} may not do this; roles that may: {roles}",
        "sk": "rola {role} tento krok nemôže vykonať; môžu: {roles}",
        "es": "el rol {role} no puede realizar este paso; pueden hacerlo: {roles}",
        "it": "il ruolo {role} non può eseguire questo passaggio; possono farlo: {roles}",
        "sl": "vloga {role} tega koraka ne more izvesti; to lahko storijo: {roles}",
    },
    "role-may-not-fire": {
        "en": "The role {role} may not do {trigger} in the state {state}; roles that may: {roles}.",
        "sk": "Rola {role} nemôže v stave {state} vykonať krok {trigger}; môžu: {roles}.",
        "es": "El rol {role} no puede realizar {trigger} en el estado {state}; pueden hacerlo: {roles}.",
        "it": "Il ruolo {role} non può eseguire {trigger} nello stato {state}; possono farlo: {roles}.",
        "sl": "Vloga {role} v stanju {state} ne more izvesti koraka {trigger}; to lahko storijo: {roles}.",
    },
    "not-a-party": {
        "en": "“{actor}” does not take part in this process as {role}",
        "sk": "„{actor}“ sa tohto procesu nezúčastňuje ako {role}",
        "es": "«{actor}» no participa en este proceso como {role}",
        "it": "«{actor}» non partecipa a questo processo come {role}",
        "sl": "„{actor}“ v tem postopku ne sodeluje kot {role}",
    },
    "not-a-party-to-fire": {
        "en": "“{actor}” does not take part in this process as {role} (taking part: {actors}); "
        "only they may do {trigger}.",
        "sk": "„{actor}“ sa tohto procesu nezúčastňuje ako {role} (zúčastnení: {actors}); "
        "krok {trigger} môžu vykonať len oni.",
        "es": "«{actor}» no participa en este proceso como {role} (participan: {actors}); "
        "solo ellos pueden realizar {trigger}.",
        "it": "«{actor}» non partecipa a questo processo come {role} (partecipano: {actors}); "
        "solo loro possono eseguire {trigger}.",
        "sl": "„{actor}“ v tem postopku ne sodeluje kot {role} (sodelujejo: {actors}); "
        "korak {trigger} lahko izvedejo le oni.",
    },
    "state-final": {
        "en": "The state {state} is final: no further step is possible (asked: {trigger}).",
        "sk": "Stav {state} je konečný: ďalší krok už nie je možný (požadovaný: {trigger}).",
        "es": "El estado {state} es final: no es posible ningún otro paso (solicitado: {trigger}).",
        "it": "Lo stato {state} è finale: non è possibile alcun altro passaggio (richiesto: {trigger}).",
        "sl": "Stanje {state} je končno: noben nadaljnji korak ni mogoč (zahtevano: {trigger}).",
    },
    "trigger-not-available": {
        "en": "{trigger} is not possible in the state {state}. Possible: {triggers}.",
        "sk": "Krok {trigger} nie je v stave {state} možný. Možné kroky: {triggers}.",
        "es": "{trigger} no es posible en el estado {state}. Pasos posibles: {triggers}.",
        "it": "{trigger} non è possibile nello stato {state}. Passaggi possibili: {triggers}.",
        "sl": "Korak {trigger} v stanju {state} ni mogoč. Mogoči koraki: {triggers}.",
    },
    "trigger-unknown": {
        "en": "“{trigger}” is not a step of this process. Possible in the state {state}: {triggers}.",
        "sk": "„{trigger}“ nie je krokom tohto procesu. Možné v stave {state}: {triggers}.",
        "es": "«{trigger}» no es un paso de este proceso. Posibles en el estado {state}: {triggers}.",
        "it": "«{trigger}» non è un passaggio di questo processo. Possibili nello stato {state}: {triggers}.",
        "sl": "„{trigger}“ ni korak tega postopka. Mogoči v stanju {state}: {triggers}.",
    },
    "cannot-fire": {
        "en": "{trigger} is not possible: {reasons}.",
        "sk": "Krok {trigger} nie je možný: {reasons}.",
        "es": "{trigger} no es posible: {reasons}.",
        "it": "{trigger} non è possibile: {reasons}.",
        "sl": "Korak {trigger} ni mogoč: {reasons}.",
    },
    "invalid-payload": {
        "en": "The data given for {trigger} is not valid: {reasons}.",
        "sk": "Údaje zadané pre krok {trigger} nie sú platné: {reasons}.",
        "es": "Los datos indicados para {trigger} no son válidos: {reasons}.",
        "it": "I dati indicati per {trigger} non sono validi: {reasons}.",
        "sl": "Podatki za korak {trigger} niso veljavni: {reasons}.",
    },
    "unknown-input": {
        "en": "{trigger} takes no data “{input}”; it takes: {fields}",
        "sk": "krok {trigger} neprijíma údaj „{input}“; prijíma: {fields}",
        "es": "{trigger} no admite el dato «{input}»; admite: {fields}",
        "it": "{trigger} non accetta il dato «{input}»; accetta: {fields}",
        "sl": "korak {trigger} ne sprejema podatka „{input}“; sprejema: {fields}",
    },
    "required-input-missing": {
        "en": "{field} is required",
        "sk": "údaj {field} je povinný",
        "es": "el dato {field} es obligatorio",
        "it": "il dato {field} è obbligatorio",
        "sl": "podatek {field} je obvezen",
    },
    "required-field-not-set": {
        "en": "{field} is not filled in yet",
        "sk": "údaj {field} ešte nie je vyplnený",
        "es": "el dato {field} aún no se ha indicado",
        "it": "il dato {field} non è ancora compilato",
        "sl": "podatek {field} še ni izpolnjen",
    },
    "condition-field-not-set": {
        "en": "{field} {op} {expected}, and it is not filled in yet",
        "sk": "údaj {field} {op} {expected} a ešte nie je vyplnený",
        "es": "el dato {field} {op} {expected} y aún no se ha indicado",
        "it": "il dato {field} {op} {expected} e non è ancora compilato",
        "sl": "podatek {field} {op} {expected}, a še ni izpolnjen",
    },
    "condition-false": {
        "en": "{field} {op} {expected}; it is {value}",
        "sk": "údaj {field} {op} {expected}; teraz je {value}",
        "es": "el dato {field} {op} {expected}; ahora es {value}",
        "it": "il dato {field} {op} {expected}; ora è {value}",
        "sl": "podatek {field} {op} {expected}; zdaj je {value}",
    },
    "guard-false": {
        "en": "the check “{guard}” is not met",
        "sk": "kontrola „{guard}“ nie je splnená",
        "es": "no se cumple la comprobación «{guard}»",
        "it": "il controllo «{guard}» non è soddisfatto",
        "sl": "preverjanje „{guard}“ ni izpolnjeno",
    },
    "invariant-field-not-set": {
        "en": "this would break the rule {invariant}: {field} is not filled in",
        "sk": "porušilo by to pravidlo {invariant}: údaj {field} nie je vyplnený",
        "es": "se incumpliría la regla {invariant}: el dato {field} no se ha indicado",
        "it": "si violerebbe la regola {invariant}: il dato {field} non è compilato",
        "sl": "to bi kršilo pravilo {invariant}: podatek {field} ni izpolnjen",
    },
    "invariant-broken": {
        "en": "this would break the rule {invariant}: {reason}",
        "sk": "porušilo by to pravidlo {invariant}: {reason}",
        "es": "se incumpliría la regla {invariant}: {reason}",
        "it": "si violerebbe la regola {invariant}: {reason}",
        "sl": "to bi kršilo pravilo {invariant}: {reason}",
    },
    "expects-text": {
        "en": "{field} must be a text",
        "sk": "údaj {field} musí byť text",
        "es": "el dato {field} debe ser un texto",
        "it": "il dato {field} deve essere un testo",
        "sl": "podatek {field} mora biti besedilo",
    },
    "expects-integer": {
        "en": "{field} must be a whole number",
        "sk": "údaj {field} musí byť celé číslo",
        "es": "el dato {field} debe ser un número entero",
        "it": "il dato {field} deve essere un numero intero",
        "sl": "podatek {field} mora biti celo število",
    },
    "expects-boolean": {
        "en": "{field} must be yes or no",
        "sk": "údaj {field} musí byť áno alebo nie",
        "es": "el dato {field} debe ser sí o no",
        "it": "il dato {field} deve essere sì o no",
        "sl": "podatek {field} mora biti da ali ne",
    },
    "expects-date": {
        "en": "{field} must be a date (YYYY-MM-DD)",
        "sk": "údaj {field} musí byť dátum (RRRR-MM-DD)",
        "es": "el dato {field} debe ser una fecha (AAAA-MM-DD)",
        "it": "il dato {field} deve essere una data (AAAA-MM-GG)",
        "sl": "podatek {field} mora biti datum (LLLL-MM-DD)",
    },
    "expects-list": {
        "en": "{field} must be a list of texts",
        "sk": "údaj {field} musí byť zoznam textov",
        "es": "el dato {field} debe ser una lista de textos",
        "it": "il dato {field} deve essere un elenco di testi",
        "sl": "podatek {field} mora biti seznam besedil",
    },
    "invalid-text": {
        "en": "{field} holds a character that is not valid text",
        "sk": "údaj {field} obsahuje neplatný znak",
        "es": "el dato {field} contiene un carácter no válido",
        "it": "il dato {field} contiene un carattere non valido",
        "sl": "podatek {field} vsebuje neveljaven znak",
    },
    "integer-out-of-range": {
        "en": "{field} is a number too large to record",
        "sk": "údaj {field} je príliš veľké číslo",
        "es": "el dato {field} es un número demasiado grande",
        "it": "il dato {field} è un numero troppo grande",
        "sl": "podatek {field} je preveliko število",
    },
    "not-a-choice": {
        "en": "{value} is not a choice of {field}; choices: {choices}",
        "sk": "{value} nie je možnosťou údaja {field}; možnosti: {choices}",
        "es": "{value} no es una opción de {field}; opciones: {choices}",
        "it": "{value} non è un'opzione di {field}; opzioni: {choices}",
        "sl": "{value} ni možnost podatka {field}; možnosti: {choices}",
    },
    "too-few-items": {
        "en": "{field} needs at least {min} item(s), got {count}",
        "sk": "údaj {field} potrebuje aspoň {min} položku (položky), zadaných je {count}",
        "es": "el dato {field} necesita al menos {min} elemento(s); se han indicado {count}",
        "it": "il dato {field} richiede almeno {min} elemento/i; indicati: {count}",
        "sl": "podatek {field} potrebuje vsaj {min} postavko (postavke), podanih je {count}",
    },
    "role-already-signed": {
        "en": "the role {role} has already signed {trigger}",
        "sk": "rola {role} už podpísala krok {trigger}",
        "es": "el rol {role} ya ha firmado {trigger}",
        "it": "il ruolo {role} ha già firmato {trigger}",
        "sl": "vloga {role} je korak {trigger} že podpisala",
    },
    "already-signed": {
        "en": "“{actor}” has already signed {trigger}",
        "sk": "„{actor}“ už podpísal(a) krok {trigger}",
        "es": "«{actor}» ya ha firmado {trigger}",
        "it": "«{actor}» ha già firmato {trigger}",
        "sl": "„{actor}“ je korak {trigger} že podpisal(a)",
    },
    "signed-for-another-role": {
        "en": "“{actor}” has already signed {trigger} as {role}: one person signs for one role",
        "sk": "„{actor}“ už podpísal(a) krok {trigger} ako {role}: jedna osoba podpisuje za jednu rolu",
        "es": "«{actor}» ya ha firmado {trigger} como {role}: cada persona firma por un solo rol",
        "it": "«{actor}» ha già firmato {trigger} come {role}: ogni persona firma per un solo ruolo",
        "sl": "„{actor}“ je korak {trigger} že podpisal(a) kot {role}: vsaka oseba podpiše za eno vlogo",
    },
    "signoff-refused": {
        "en": "{reason}; waiting for: {roles}.",
        "sk": "{reason}; čaká sa na: {roles}.",
        "es": "{reason}; se espera a: {roles}.",
        "it": "{reason}; si attende: {roles}.",
        "sl": "{reason}; čaka se na: {roles}.",
    },
    "no-party-bound": {
        "en": "nobody takes part yet as {roles}",
        "sk": "zatiaľ sa nikto nezúčastňuje ako {roles}",
        "es": "todavía nadie participa como {roles}",
        "it": "ancora nessuno partecipa come {roles}",
        "sl": "kot {roles} še nihče ne sodeluje",
    },
    "last-party": {
        "en": "“{actor}” is the last one taking part as {role}, and nobody may add another",
        "sk": "„{actor}“ je posledný účastník ako {role} a nikto nemôže pridať ďalšieho",
        "es": "«{actor}» es el último participante como {role} y nadie puede añadir otro",
        "it": "«{actor}» è l'ultimo partecipante come {role} e nessuno può aggiungerne un altro",
        "sl": "„{actor}“ je zadnji udeleženec kot {role} in nihče ne more dodati drugega",
    },
    "last-party-replace": {
        "en": "“{actor}” is the last one taking part as {role}, and nobody may add another: replace them instead",
        "sk": "„{actor}“ je posledný účastník ako {role} a nikto nemôže pridať ďalšieho: treba ho nahradiť",
        "es": "«{actor}» es el último participante como {role} y nadie puede añadir otro: sustitúyalo",
        "it": "«{actor}» è l'ultimo partecipante come {role} e nessuno può aggiungerne un altro: "
        "va sostituito",
        "sl": "„{actor}“ je zadnji udeleženec kot {role} in nihče ne more dodati drugega: zamenjajte ga",
    },
    "not-a-party-as": {
        "en": "“{actor}” does not take part as {role} (taking part: {actors})",
        "sk": "„{actor}“ sa nezúčastňuje ako {role} (zúčastnení: {actors})",
        "es": "«{actor}» no participa como {role} (participan: {actors})",
        "it": "«{actor}» non partecipa come {role} (partecipano: {actors})",
        "sl": "„{actor}“ ne sodeluje kot {role} (sodelujejo: {actors})",
    },
    "already-a-party": {
        "en": "“{actor}” already takes part as {role}; a person holds one role in a process",
        "sk": "„{actor}“ sa už zúčastňuje ako {role}; osoba má v procese jednu rolu",
        "es": "«{actor}» ya participa como {role}; cada persona tiene un solo rol en un proceso",
        "it": "«{actor}» partecipa già come {role}; ogni persona ha un solo ruolo in un processo",
        "sl": "„{actor}“ že sodeluje kot {role}; oseba ima v postopku eno vlogo",
    },
    "unknown-party-input": {
        "en": "{trigger} takes no data “{input}”; it takes: {names}",
        "sk": "krok {trigger} neprijíma údaj „{input}“; prijíma: {names}",
        "es": "{trigger} no admite el dato «{input}»; admite: {names}",
        "it": "{trigger} non accetta il dato «{input}»; accetta: {names}",
        "sl": "korak {trigger} ne sprejema podatka „{input}“; sprejema: {names}",
    },
    "party-input-not-text": {
        "en": "“{input}” must be a text that is not empty",
        "sk": "„{input}“ musí byť neprázdny text",
        "es": "«{input}» debe ser un texto no vacío",
        "it": "«{input}» deve essere un testo non vuoto",
        "sl": "„{input}“ mora biti neprazno besedilo",
    },
    "party-input-invalid-text": {
        "en": "“{input}” holds a character that is not valid text",
        "sk": "„{input}“ obsahuje neplatný znak",
        "es": "«{input}» contiene un carácter no válido",
        "it": "«{input}» contiene un carattere non valido",
        "sl": "„{input}“ vsebuje neveljaven znak",
    },
    "role-is-system": {
        "en": "nobody is invited as “{role}”, the clock that fires deadlines; roles with parties: {roles}",
        "sk": "ako „{role}“, hodiny spúšťajúce lehoty, nemožno nikoho pozvať; roly s účastníkmi: {roles}",
        "es": "nadie es invitado como «{role}», el reloj que activa los plazos; roles con participantes: {roles}",
        "it": "nessuno è invitato come «{role}», l'orologio che fa scattare le scadenze; "
        "ruoli con partecipanti: {roles}",
        "sl": "kot „{role}“, ura, ki sproži roke, ni mogoče povabiti nikogar; vloge z udeleženci: {roles}",
    },
    "role-is-open": {
        "en": "{role} is open to anyone who has it, nobody is added to it; roles with parties: {roles}",
        "sk": "rola {role} je otvorená každému, kto ju má, nikto sa do nej nepridáva; roly s účastníkmi: {roles}",
        "es": "el rol {role} está abierto a quien lo tenga, no se añade a nadie; roles con participantes: {roles}",
        "it": "il ruolo {role} è aperto a chiunque lo abbia, non vi si aggiunge nessuno; "
        "ruoli con partecipanti: {roles}",
        "sl": "vloga {role} je odprta vsakomur, ki jo ima, vanjo se nikogar ne dodaja; vloge z udeleženci: {roles}",
    },
    "role-unknown": {
        "en": "“{role}” is not a role of this process; roles with parties: {roles}",
        "sk": "„{role}“ nie je rolou tohto procesu; roly s účastníkmi: {roles}",
        "es": "«{role}» no es un rol de este proceso; roles con participantes: {roles}",
        "it": "«{role}» non è un ruolo di questo processo; ruoli con partecipanti: {roles}",
        "sl": "„{role}“ ni vloga tega postopka; vloge z udeleženci: {roles}",
    },
    "may-not-invite": {
        "en": "The role {role} may not invite anyone as {other}; roles that may: {roles}.",
        "sk": "Rola {role} nemôže nikoho pozvať ako {other}; môžu: {roles}.",
        "es": "El rol {role} no puede invitar a nadie como {other}; pueden hacerlo: {roles}.",
        "it": "Il ruolo {role} non può invitare nessuno come {other}; possono farlo: {roles}.",
        "sl": "Vloga {role} ne more nikogar povabiti kot {other}; to lahko storijo: {roles}.",
    },
    "may-not-remove": {
        "en": "The role {role} may not remove anyone taking part as {other}; roles that may: {roles}.",
        "sk": "Rola {role} nemôže odobrať účastníka ako {other}; môžu: {roles}.",
        "es": "El rol {role} no puede retirar a ningún participante como {other}; pueden hacerlo: {roles}.",
        "it": "Il ruolo {role} non può rimuovere alcun partecipante come {other}; possono farlo: {roles}.",
        "sl": "Vloga {role} ne more odstraniti udeleženca kot {other}; to lahko storijo: {roles}.",
    },
    "may-not-replace": {
        "en": "The role {role} may not replace anyone taking part as {other}; roles that may: {roles}.",
        "sk": "Rola {role} nemôže nahradiť účastníka ako {other}; môžu: {roles}.",
        "es": "El rol {role} no puede sustituir a ningún participante como {other}; pueden hacerlo: {roles}.",
        "it": "Il ruolo {role} non può sostituire alcun partecipante come {other}; possono farlo: {roles}.",
        "sl": "Vloga {role} ne more zamenjati udeleženca kot {other}; to lahko storijo: {roles}.",
    },
    "clock-only-caller": {
        "en": "Only the clock does {trigger}, when its deadline passes.",
        "sk": "Krok {trigger} vykonávajú len hodiny, keď uplynie jeho lehota.",
        "es": "Solo el reloj realiza {trigger}, cuando vence su plazo.",
        "it": "Solo l'orologio esegue {trigger}, allo scadere del termine.",
        "sl": "Korak {trigger} izvede le ura, ko poteče njegov rok.",
    },
    "deadline-clock-only": {
        "en": "only the clock does this, when its deadline passes ({due})",
        "sk": "tento krok vykonajú len hodiny, keď uplynie lehota ({due})",
        "es": "solo el reloj realiza este paso, cuando vence el plazo ({due})",
        "it": "solo l'orologio esegue questo passaggio, allo scadere del termine ({due})",
        "sl": "ta korak izvede le ura, ko poteče rok ({due})",
    },
    "title-invite": {
        "en": "Invite: {roles}",
        "sk": "Pozvať: {roles}",
        "es": "Invitar: {roles}",
        "it": "Invitare: {roles}",
        "sl": "Povabiti: {roles}",
    },
    "title-remove-party": {
        "en": "Remove a participant: {roles}",
        "sk": "Odobrať účastníka: {roles}",
        "es": "Retirar a un participante: {roles}",
        "it": "Rimuovere un partecipante: {roles}",
        "sl": "Odstraniti udeleženca: {roles}",
    },
    "title-replace-party": {
        "en": "Replace a participant: {roles}",
        "sk": "Nahradiť účastníka: {roles}",
        "es": "Sustituir a un participante: {roles}",
        "it": "Sostituire un partecipante: {roles}",
        "sl": "Zamenjati udeleženca: {roles}",
    },
}
