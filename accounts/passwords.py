"""The guide's password policy: "at least 8 characters long and contain a lowercase character, an
uppercase character, a number (0-9) and a special character (~ ! @ # $ % ^ & * _ - + = ` | \\ ( ) { } [ ] : ;
" ' < > , . ? /)"."""
from django.core.exceptions import ValidationError

SPECIAL_CHARACTERS = "~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/"
MIN_LENGTH = 8


def password_problems(password: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long.")
    if not any(c.islower() for c in password):
        problems.append("Password must contain a lowercase character.")
    if not any(c.isupper() for c in password):
        problems.append("Password must contain an uppercase character.")
    if not any(c.isdigit() for c in password):
        problems.append("Password must contain a number (0-9).")
    if not any(c in SPECIAL_CHARACTERS for c in password):
        problems.append("Password must contain a special character (" + " ".join(SPECIAL_CHARACTERS) + ").")
    return problems


class GuidePasswordValidator:
    def validate(self, password, user=None):
        problems = password_problems(password)
        if problems:
            raise ValidationError(problems, code="password_policy")

    def get_help_text(self):
        return ("Password must be at least 8 characters long and contain a lowercase character, an uppercase "
                "character, a number (0-9) and a special character.")
