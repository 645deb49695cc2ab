"""Public results and open data (no login): /cong-khai/."""
