# Heron sample in the format of Roundcube's managesieve plugin

require ["copy","date","fileinto","imap4flags","regex","reject","relational","vacation"];
# rule:[Out of office]
if allof (currentdate :zone "+0100" :value "ge" "date" "2027-07-01", currentdate :zone "+0100" :value "le" "date" "2027-07-21")
{
	vacation :days 5 :addresses ["maria@heron.test","m.keller@heron.test"] :subject "Away until 21 July" :from "maria@heron.test" text:
Hello,

I am hiking until 21 July and read no mail.
..and this line began with a dot.
.
;
}
# rule:[Invoices]
if anyof (header :contains "from" "billing@", header :contains "subject" "Rechnung")
{
	fileinto "Finanzen/Rechnungen";
	addflag "\\Seen";
}
# rule:[Big mail]
if size :over 5M
{
	fileinto :copy "Groß \"und\" \\ schwer";
	stop;
}
# rule:[Old rule]
if false # allof (not header :is "to" "maria@heron.test", header :regex "x-spam-score" "^[5-9]")
{
	discard;
}
# rule:[Boss]
if address :all :contains "from" "chef@heron.test"
{
	redirect :copy "maria.mobile@heron.test";
	addflag "\\Flagged";
}
# rule:[Spammer]
if header :is "from" "pest@spam.test"
{
	reject text:
Please stop writing to me.
.
;
}
