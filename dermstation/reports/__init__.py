"""PDF reports (reportlab): lesion report, patient summary, referral letter. No Qt."""
