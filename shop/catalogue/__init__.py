"""The village's goods: products, lots pooled from households, photos, public pages, spreadsheet import."""
