"""The audit trail: who did what to which account, and when."""
