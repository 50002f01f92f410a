"""The audit trail: who did what to which record, from where, and whether it worked."""
