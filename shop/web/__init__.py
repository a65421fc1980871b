"""The web edge shared by every domain: templates, languages, authentication, errors, forms.

Lives here: the Jinja environment (``templating``), form helpers (``forms``: ``form_int``, ``form_error``),
the request scope's own entries (``scope``), links printed on paper (``links``), guards and sessions
(``auth``), error answers, the staff desk's read model (``desk``). Domains import it for their doors; it
imports the domains only for the desk and the authentication it wires.
"""
