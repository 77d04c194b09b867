"""The HTML pages for people, one module per part of the service."""
