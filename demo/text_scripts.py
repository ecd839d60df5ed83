"""What a law firm and its clients text each other: the exchanges demo conversations are made of.

An exchange always opens with the firm's text (a firm texts first, C6), then the client's
replies and the firm's answers follow. Placeholders, filled in by demo.conversations:

    {hi} {hola}  "Hi Maria" / "Hola Maria" ("Hello" / "Hola" for a company)
    {sender}     first name of the firm's user who sends the firm's side
    {attorney}   the responsible attorney's full name (only in exchanges staff send)
    {firm}       the firm's name
    {date} {day} {time}              a date a few days after the exchange, its weekday, a time
    {new_date} {new_day} {new_time}  a later date, for something rescheduled
    {doc}        a document the firm still needs
    {amount} {invoice}               an invoice's amount ("$1,250.00") and number
    {matter}     the description of a matter the contact is the client of (only used for
                 contacts who have one)

Replies are written as people type them on a phone: short, some without punctuation, some
with an emoji or a typographic apostrophe (which makes a text UCS-2 and costs segments).
"""

from typing import NamedTuple

OUT = "out"
IN = "in"
STAFF = "staff"
ATTORNEY = "attorney"


class Exchange(NamedTuple):
    sender: str  # STAFF or ATTORNEY: who sends the firm's side of the exchange
    turns: tuple[tuple[str, str], ...]  # (OUT or IN, template)
    opener: bool = False  # only ever the first exchange of a conversation (a welcome)


EXCHANGES: tuple[Exchange, ...] = (
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, this is {sender} from {firm}. Confirming your appointment with "
                "{attorney} on {date} at {time} at our office. Please reply to confirm.",
            ),
            (IN, "Confirmed, thank you!"),
            (
                OUT,
                "Great, see you then. Please bring a photo ID and any papers you've received "
                "since we last spoke.",
            ),
            (IN, "Will do. Is there parking nearby?"),
            (OUT, "Yes, there's a garage on the corner. We validate parking at the front desk."),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, {sender} from {firm}. Your hearing has been moved to {new_date} at "
                "{new_time}, same courtroom. {attorney} will meet you outside 30 minutes early.",
            ),
            (IN, "Thanks, see you {new_day}"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, to keep things moving we still need {doc}. You can email it to us "
                "or drop it off at the front desk.",
            ),
            (IN, "I'll look for it tonight"),
            (IN, "Just emailed it"),
            (OUT, "Got it, thank you! We'll let you know if anything else is needed."),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, your documents are ready for signature. We just emailed you a "
                "secure signing link; it only takes a few minutes.",
            ),
            (IN, "Signed!"),
            (OUT, "Received, thank you!"),
        ),
    ),
    Exchange(
        ATTORNEY,
        (
            (
                OUT,
                "{hi}, it's {sender}. I reviewed the latest from the other side and will "
                "call you this week to go over next steps.",
            ),
            (
                IN,
                "Ok thanks. Quick question, do I need to be there in person for the next one "
                "or can I do it by Zoom?",
            ),
            (
                OUT,
                "Good question. The judge allows remote appearances for status conferences, "
                "so Zoom is fine. We'll send you the link the day before.",
            ),
            (IN, "Perfect 👍"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "Reminder: deposition prep with {attorney} is {date} at {time}. Plan on about "
                "two hours and bring the notes you mentioned.",
            ),
            (IN, "Can we do later in the afternoon? I work until 2"),
            (OUT, "We can do {new_day} at 3:00 PM instead. Does that work?"),
            (IN, "Yes that works, thank you"),
            (OUT, "You're all set for {new_day} at 3:00 PM."),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, your invoice #{invoice} for {amount} is ready. You can pay online "
                "at https://pay.example.com/i/{invoice} or call us with any questions.",
            ),
            (IN, "Just paid, thanks"),
            (OUT, "Payment received. Thank you!"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "Reminder from {firm}: court tomorrow at {time}. Please arrive 30 minutes "
                "early, dress business casual and bring your ID. Text us if anything comes up.",
            ),
            (IN, "I’ll be there."),
        ),
    ),
    Exchange(
        ATTORNEY,
        (
            (
                OUT,
                "{hi}, good news: we received a settlement offer this morning. I'd like "
                "to go over it with you. When is a good time to call today or tomorrow?",
            ),
            (IN, "Tomorrow morning works, anytime after 9"),
            (OUT, "I'll call you tomorrow at 9:30 AM."),
            (IN, "Thank you so much!!"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, welcome to {firm}! This is {sender}. You can text this number with "
                "questions during business hours. For anything urgent, please call the office.",
            ),
            (IN, "Thank you, nice to meet you"),
        ),
        opener=True,
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, have you had any new doctor or physical therapy visits since we "
                "last spoke? We need to request those records for your claim.",
            ),
            (IN, "Yes I saw Dr. Nguyen again last week and I have PT twice a week now"),
            (
                OUT,
                "Thanks, we'll request the records from both. Keep any receipts for mileage "
                "and co-pays too.",
            ),
        ),
    ),
    Exchange(
        STAFF,
        (
            (OUT, "{hi}, just a reminder that your consultation is today at {time}."),
            (IN, "Running about 10 min late, so sorry!"),
            (OUT, "No problem, we'll see you when you get here."),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, mediation is set for {date} at {time} by Zoom. Please keep the "
                "whole day free, these often run long. We'll send the link the day before.",
            ),
            (IN, "Ok. Should I have anything ready?"),
            (
                OUT,
                "Just the list of priorities we talked about and a quiet room. {attorney} "
                "will call you 15 minutes before it starts.",
            ),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "Directions for {date}: the courthouse is at 100 Centre St. Enter through the "
                "main doors, go through security (no sharp objects) and take the elevator to "
                "the 4th floor. Courtroom 4B is on your left. Call us if you get lost.",
            ),
            (IN, "Thank you!"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, quick update: the other side filed their response today. "
                "{attorney} is reviewing it and we'll be in touch by the end of the week.",
            ),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "Quick update on {matter}: we filed the paperwork with the court today. "
                "Nothing is needed from you right now.",
            ),
            (IN, "Great, thanks for letting me know"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "Hi, this is {sender} from {firm} returning your call. Is this still the best "
                "number to reach you?",
            ),
            (IN, "Yes this is the right number"),
            (IN, "I had a question about the letter I got from the insurance company"),
            (
                OUT,
                "Thanks. Please don't respond to them directly; send us a photo of "
                "the letter by email and {attorney} will take it from there.",
            ),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hola}, le escribe {sender} de {firm}. Le recordamos su cita con "
                "{attorney} mañana a las {time}.",
            ),
            (IN, "Gracias, ahí estaré"),
        ),
    ),
    Exchange(
        ATTORNEY,
        (
            (
                OUT,
                "{hi}, the judge signed the order this afternoon. I'll mail you a "
                "certified copy; keep it somewhere safe.",
            ),
            (IN, "That's such a relief. Thank you for everything"),
            (OUT, "You're welcome. It was a pleasure working with you."),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, the office is closed on {day}. If you need anything before then, "
                "text us here or leave a message and we'll call back.",
            ),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, {attorney} needs about 20 minutes with you before the hearing on "
                "{new_date}. Does {day} at {time} work for a quick call?",
            ),
            (IN, "Can we do the afternoon instead?"),
            (OUT, "Sure, how about 2:30 PM on {day}?"),
            (IN, "That works"),
        ),
    ),
    Exchange(
        STAFF,
        (
            (
                OUT,
                "{hi}, we received the signed retainer agreement, thank you. Your file "
                "is open and {attorney} is your attorney. Save this number to text us.",
            ),
            (IN, "Ok saved"),
        ),
        opener=True,
    ),
)

# Documents a firm asks its clients for.
DOCUMENTS = (
    "a copy of your driver's license",
    "the signed retainer agreement",
    "your last two pay stubs",
    "the police report number",
    "photos of the damage to your car",
    "your insurance declarations page",
    "a copy of your lease",
    "the bills from your ER visit",
    "your tax returns for the last two years",
    "the letter you received from the court",
    "your child's school schedule",
    "a list of the assets in the trust",
)

APPOINTMENT_TIMES = (
    "9:00 AM",
    "9:30 AM",
    "10:00 AM",
    "10:30 AM",
    "11:15 AM",
    "1:00 PM",
    "1:30 PM",
    "2:00 PM",
    "2:45 PM",
    "3:30 PM",
    "4:00 PM",
)
