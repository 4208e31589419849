"""The counter (窗口): its routes, stored quotes, the applicant's fields and QR code."""
