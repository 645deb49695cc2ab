"""Certificates (giấy chứng nhận) for recognised units: numbered PDFs with public QR verification."""
