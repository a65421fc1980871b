"""The web edge shared by every domain: templates, languages, authentication, errors, forms."""
