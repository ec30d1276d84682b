"""Personal data: redaction, export, erasure and retention (README "Personal data")."""
