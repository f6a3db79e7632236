"""Piece rates, the earnings ledger, allowances, legal figures, pay periods, payroll runs and
payslips (models in workforce/models.py; decision 0008)."""
