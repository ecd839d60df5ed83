# Models arrive with this app's capability (see the open issues); the app exists now so
# URLs, navigation and the dependency order of STYLE.md section 1 are in place.
