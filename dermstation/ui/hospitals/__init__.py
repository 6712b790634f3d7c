"""The Hospitals section: referral directory, CSV import/export, referrals."""
