"""The office-tools lab: a Japanese event sign-up sheet, cleaned, counted, charted and reported in Excel."""
