from django.conf import settings


def site(request):
    return {"service_name": "Mutuals", "debug": settings.DEBUG}
