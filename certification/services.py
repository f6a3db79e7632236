"""Writes of the certification app: applications, exams, attempts and certificates."""
