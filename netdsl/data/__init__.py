"""Data: tables read from files, and a spec checked against them."""
