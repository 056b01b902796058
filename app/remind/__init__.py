"""Reminders: e-mail and webhook messages to engagement owners before renewal dates pass.

`events` decides what is due (pure), `messages` writes it (templates in prompts/reminders/),
`service` claims and delivers each one once, `schedule` runs it inside the server.
"""
