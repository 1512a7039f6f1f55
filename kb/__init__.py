"""Knowledge base: extract/ (sandboxed parsers per format), chunking, index (BM25) with its
postings and grams, and service (upload → active knowledge base, the only part using the app).

Keep this file free of imports: the extraction child imports kb.extract without the app.
"""
