"""Users, roles, login and the admin user screens."""
