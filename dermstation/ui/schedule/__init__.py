"""The Schedule section: day and week calendar, booking, today's list."""
