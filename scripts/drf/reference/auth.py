from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import DjangoModelPermissions


class BearerToken(TokenAuthentication):
    """DRF's token authentication under the keyword relais's clients send."""

    keyword = "Bearer"


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions, with reading asking for the model's `view` permission (DRF's
    own map lets any authenticated user read)."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}
