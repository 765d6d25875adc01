"""The owners' and operators' dashboard under ``/admin`` (see ``site.py``)."""

from app.admin.site import AdminRequest, AdminResponse, AdminSite, parse_form

__all__ = ["AdminRequest", "AdminResponse", "AdminSite", "parse_form"]
