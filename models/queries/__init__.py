"""Read queries for the admin pages and the owner's banner: views stay thin, templates never query.

Every list is built to stay fast at 10,000 owners and 1,000,000 messages: filters hit indexed
columns, per-row extras (channels, counts, last message) are fetched for a whole page in one
query each, and message-text search is confined to a date window.

Modules, one per page: users (the users list), user_detail (one owner), conversations (also the
owner's inbox, with an owner filter), owner_stats (the owner's statistics page),
announcements (audiences, banners, history), logs (the admin log), stats (the statistics page
and the daily rollup); common holds local days, substring matching and pagination.
"""
