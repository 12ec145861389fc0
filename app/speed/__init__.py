"""ADED's speed as the user sees it: the live meter and the speed history."""
