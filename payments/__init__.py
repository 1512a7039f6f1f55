"""The local payment rails' wire protocols (Payme Merchant API, Click SHOP API).

Libraries: they parse, verify and answer, and know neither Flask nor the database; the service
that applies them to orders is models/order_payme.py and models/order_click.py.
"""
