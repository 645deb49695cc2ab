"""Administrative and organisational units (city, communes/wards, departments, schools, youth branches)."""
