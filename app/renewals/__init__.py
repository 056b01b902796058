"""Renewals: each engagement's deadlines (timeline), the dashboard of them and .ics calendars."""
