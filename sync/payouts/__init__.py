"""Payouts PSP → ERP: settlement files of payment providers, imported and booked as customer payments.

models (app `sync`, imported by sync.models), presets and files (reading a settlement CSV), services
(preview, import, line status), report, uploads, demo (the demo file), mapping (line → payment
draft) and flow (the payouts flow), import_view and admin (the Sync › Payouts pages).
"""
