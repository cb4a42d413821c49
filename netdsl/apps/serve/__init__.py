"""`netdsl serve`: a playground in the browser (app.py), its diagram feed
(diagram.py) and its page (static/, built from editors/web by build.sh)."""
