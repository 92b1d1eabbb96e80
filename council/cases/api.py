"""(being written)"""

PAGE_ROUTES: list = []
API_ROUTES: list = []
