/* Maria's own script, edited by hand */
require ["fileinto", "envelope", "variables"];

if envelope :is "from" "list@lists.test" {
    fileinto "Lists";
} elsif header :matches "subject" "*[important]*" {
    keep;
}
# a note
else {
    stop;
}
set "folder" "Inbox";
# rule:[Heron one]
if header :contains "List-Id" "<dev.lists.test>"
{
	fileinto "Dev";
}
# trailing comment