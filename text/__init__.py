"""Uzbek/Russian/English text, free of Flask and the database.

alphabet (apostrophes, letter sets, base transliteration tables), script (Cyrillic ↔ Latin
conversions derived from them), tokens (search words and stopwords), stem (Snowball and Uzbek
suffixes), lexicon (detection word lists and endings) and detect (language detection).
"""
