"""Outreach to owners and their customers: owner_emails (the offer, reminders, plan decisions,
password resets), admin_emails (the admin's e-mail to one owner, announcements), broadcast
(the admin's message to every customer of one owner)."""
