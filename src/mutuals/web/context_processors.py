from django.conf import settings

from mutuals.web.demo import holds_demo_data


def site(request):
    return {
        "service_name": "Mutuals",
        "debug": settings.DEBUG,
        "demo_data": holds_demo_data(),
    }
