"""Filters the Communications templates use to show a message (C7, C8)."""

from django import template

from ..models import Message, MessageMedia
from ..provider.failure_reasons import GUIDANCE, FailureReason, offers_retry

register = template.Library()


@register.filter
def failure_guidance(message: Message) -> str:
    """The help article's sentence for the text's failure reason (C8)."""
    if not message.failure_reason:
        return ""
    return GUIDANCE.get(FailureReason(message.failure_reason), "")


@register.filter
def can_retry(message: Message) -> bool:
    """A failed outbound text whose reason says "try again", not retried yet."""
    return (
        message.direction == Message.Direction.OUTBOUND
        and message.status == Message.Status.FAILED
        and bool(message.failure_reason)
        and offers_retry(message.failure_reason)
        and not hasattr(message, "retried_by")
    )


@register.filter
def media_kind(media: MessageMedia) -> str:
    """image, audio, video or text: how the thread shows an accepted attachment."""
    content_type = str(media.metadata.get("content_type") or "")
    kind = content_type.split("/", 1)[0]
    return kind if kind in {"image", "audio", "video", "text"} else "file"
