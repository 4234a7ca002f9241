from django.http import HttpResponse


def forbidden(request, exception=None):
    return HttpResponse("Forbidden", status=403)


def not_found(request, exception=None):
    return HttpResponse("Not found", status=404)


def server_error(request):
    return HttpResponse("Server error", status=500)
