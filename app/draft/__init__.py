"""Drafting: renewal timeline, review-meeting agenda, renewal memo, "new value" request."""
